//! The demo's data tables, part 1: the three cities, dates relative to today, the joint
//! stations, the deputies, and the jointly supervised suggestions. Shaped like the
//! published figures of the Hezhou–Qingyuan–Yongzhou mechanism (DESIGN §1): 15 stations
//! in border townships, 23 suggestions (7 of them county/township road links).
//!
//! Place and village names are place-like, written for the demo; people are fictional.

use lianluo_proto::Rating;
use time::{Date, Duration, Month};

/// A city by its index in [`super::CITIES`] (hezhou 0, qingyuan 1, yongzhou 2).
pub type City = usize;
/// 贺州 (Guangxi).
pub const H: City = 0;
/// 清远 (Guangdong).
pub const Q: City = 1;
/// 永州 (Hunan).
pub const Y: City = 2;

/// Chinese city names, by [`City`].
pub const CITY_CN: [&str; 3] = ["贺州市", "清远市", "永州市"];
/// One-character province abbreviations (桂, 粤, 湘), by [`City`].
pub const PROVINCE_ABBR: [&str; 3] = ["桂", "粤", "湘"];
/// Where a failed dispute is escalated by a city: its provincial government.
pub const PROVINCE_GOV: [&str; 3] = ["广西壮族自治区人民政府", "广东省人民政府", "湖南省人民政府"];

/// A date in the current year relative to today, so the demo always looks current:
/// `Past(p)` lies p‰ of the way from 1 January to yesterday, `Future(p)` p‰ of the way
/// from tomorrow to 31 December.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Before today (‰ of the elapsed part of the year).
    Past(u16),
    /// After today (‰ of the rest of the year).
    Future(u16),
}

impl When {
    /// The calendar date as of `today`. At the very edges of the year (1 January for a
    /// past date, 31 December for a future one) it steps one day out of the year.
    pub fn date(self, today: Date) -> Date {
        let year = today.year();
        let jan1 = Date::from_calendar_date(year, Month::January, 1).unwrap_or(today);
        let dec31 = Date::from_calendar_date(year, Month::December, 31).unwrap_or(today);
        let day = Duration::days(1);
        match self {
            When::Past(p) => {
                let span = (today - jan1).whole_days() - 1;
                if span < 0 {
                    today - day
                } else {
                    jan1 + Duration::days(span * i64::from(p.min(1000)) / 1000)
                }
            }
            When::Future(p) => {
                let span = (dec31 - today).whole_days() - 1;
                if span < 0 {
                    today + day
                } else {
                    today + day + Duration::days(span * i64::from(p.min(1000)) / 1000)
                }
            }
        }
    }

    /// [`When::date`] as `YYYY-MM-DD`.
    pub fn ymd(self, today: Date) -> String {
        let d = self.date(today);
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }
}

/// The day a record `age` years old is dated from: today for this year's records, else
/// 31 December of that year, so that every past date of the record ([`When::Past`]) lies
/// in that year.
pub fn dated_from(today: Date, age: u8) -> Date {
    if age == 0 {
        return today;
    }
    let year = today.year() - i32::from(age);
    Date::from_calendar_date(year, Month::December, 31).unwrap_or(today)
}

/// A joint deputy liaison station in a border township, registered by its host city.
pub struct StationRow {
    pub host: City,
    /// The neighbouring cities that run it together with the host.
    pub partners: &'static [City],
    /// Short name used in the station's name, e.g. 贺街.
    pub short: &'static str,
    pub county: &'static str,
    pub township: &'static str,
    /// Where in the township, appended to county + township for the address.
    pub site: &'static str,
    pub note: &'static str,
}

#[rustfmt::skip]
pub const STATIONS: [StationRow; 15] = [
    StationRow { host: H, partners: &[Q, Y], short: "贺街", county: "贺州市八步区", township: "贺街镇", site: "人民政府一楼",
        note: "三省（区）毗邻地区首批联合联络站，覆盖贺街、莲塘等边界乡镇" },
    StationRow { host: H, partners: &[Q, Y], short: "桂岭", county: "贺州市八步区", township: "桂岭镇", site: "便民服务中心二楼",
        note: "地处湘粤桂三省（区）交界，联系江华码市、连山禾洞" },
    StationRow { host: H, partners: &[Q], short: "黄洞", county: "贺州市八步区", township: "黄洞瑶族乡", site: "党群服务中心",
        note: "与连山县上帅镇隔山相望，瑶族群众聚居" },
    StationRow { host: H, partners: &[Y], short: "朝东", county: "贺州市富川瑶族自治县", township: "朝东镇", site: "人民政府二楼",
        note: "与江永县桃川镇接壤，边界赶圩群众往来频繁" },
    StationRow { host: H, partners: &[Y], short: "麦岭", county: "贺州市富川瑶族自治县", township: "麦岭镇", site: "综合文化站",
        note: "与江华县涛圩镇接壤" },
    StationRow { host: Q, partners: &[Y, H], short: "三水", county: "清远市连州市", township: "三水瑶族乡", site: "人民政府一楼",
        note: "连接湖南蓝山、广西八步的瑶乡联络站" },
    StationRow { host: Q, partners: &[H], short: "上帅", county: "清远市连山壮族瑶族自治县", township: "上帅镇", site: "便民服务中心",
        note: "与八步区黄洞瑶族乡结对共建" },
    StationRow { host: Q, partners: &[H, Y], short: "小三江", county: "清远市连山壮族瑶族自治县", township: "小三江镇", site: "人民政府二楼",
        note: "三省（区）交界山区，重点联系边界道路和通信建设" },
    StationRow { host: Q, partners: &[Y], short: "瑶安", county: "清远市连州市", township: "瑶安瑶族乡", site: "党群服务中心",
        note: "与蓝山县汇源瑶族乡毗邻" },
    StationRow { host: Q, partners: &[H, Y], short: "禾洞", county: "清远市连山壮族瑶族自治县", township: "禾洞镇", site: "人民政府一楼",
        note: "边界林区面积大，重点联系山林防火和纠纷调处" },
    StationRow { host: Y, partners: &[H, Q], short: "码市", county: "永州市江华瑶族自治县", township: "码市镇", site: "人民政府一楼",
        note: "湘粤桂三省（区）交界重镇，联络站示范点" },
    StationRow { host: Y, partners: &[H], short: "涛圩", county: "永州市江华瑶族自治县", township: "涛圩镇", site: "便民服务中心二楼",
        note: "与富川县麦岭镇接壤" },
    StationRow { host: Y, partners: &[H], short: "桃川", county: "永州市江永县", township: "桃川镇", site: "人民政府二楼",
        note: "与富川县朝东镇接壤，边界农产品流通活跃" },
    StationRow { host: Y, partners: &[Q], short: "汇源", county: "永州市蓝山县", township: "汇源瑶族乡", site: "党群服务中心",
        note: "与连州市瑶安、三水两个瑶族乡毗邻" },
    StationRow { host: Y, partners: &[H, Q], short: "大圩", county: "永州市江华瑶族自治县", township: "大圩镇", site: "综合文化站",
        note: "三省（区）连接线途经地，重点联系交通和治安联防" },
];

impl StationRow {
    /// All participants, host first.
    pub fn participants(&self) -> Vec<City> {
        std::iter::once(self.host)
            .chain(self.partners.iter().copied())
            .collect()
    }

    /// E.g. 湘粤桂三省（区）毗邻地区贺街人大代表联络站, 湘桂边界朝东人大代表联络站.
    pub fn name(&self) -> String {
        let cities = self.participants();
        if cities.len() == 3 {
            return format!("湘粤桂三省（区）毗邻地区{}人大代表联络站", self.short);
        }
        // Provinces in the customary order 湘, 粤, 桂.
        let abbr: String = [Y, Q, H]
            .into_iter()
            .filter(|c| cities.contains(c))
            .map(|c| PROVINCE_ABBR[c])
            .collect();
        format!("{abbr}边界{}人大代表联络站", self.short)
    }

    /// E.g. 贺州市八步区贺街镇人民政府一楼.
    pub fn address(&self) -> String {
        format!("{}{}{}", self.county, self.township, self.site)
    }
}

/// Deputies of each city (fictional), by [`City`].
pub const DEPUTIES: [[&str; 6]; 3] = [
    ["黄秀梅", "莫振华", "盘金凤", "李德贵", "钟文斌", "赵丽萍"],
    ["房石才", "唐桂英", "邓志强", "沈月娥", "莫建新", "李春兰"],
    ["奉雪梅", "蒋光明", "任国庆", "盘小燕", "何建军", "唐德顺"],
];

/// The department that handles a suggestion's topic in each city, and what it reports.
/// `{unit}` in the progress note becomes the handling unit, e.g. 贺州市交通运输局.
pub struct Topic {
    pub bureau: &'static str,
    pub progress: &'static str,
    pub answer: &'static str,
}

pub const ROAD: Topic = Topic {
    bureau: "交通运输局",
    progress:
        "{unit}已完成本市境内路段勘察设计，项目纳入本年度农村公路建设计划，正在开展征地和招标。",
    answer: "本市境内路段已完成路基拓宽和路面硬化，通过交工验收，与邻市路段同日贯通通车。",
};
pub const FIRE: Topic = Topic {
    bureau: "林业局",
    progress: "{unit}已与邻市林业部门签订边界护林联防协议，正在划定联防责任区。",
    answer: "已建成边界防火隔离带和视频监控点，组建联防扑火队，联防责任区落实到村到人。",
};
pub const BUS: Topic = Topic {
    bureau: "交通运输局",
    progress: "{unit}已与邻市运管部门对接线路走向和站点设置，正在办理跨省班线审批。",
    answer: "跨省班线经营许可已办结，班线已开通运行，实行两地统一票价和联网售票。",
};
pub const FARM: Topic = Topic {
    bureau: "农业农村局",
    progress: "{unit}已摸清边界乡镇主要农产品产销情况，正在与邻市商定项目选址和建设方案。",
    answer: "项目已完成建设并投入使用，边界农产品实现统一收购、分级和外销对接。",
};
pub const MEDICAL: Topic = Topic {
    bureau: "医疗保障局",
    progress: "{unit}已将边界乡镇卫生院纳入异地就医直接结算定点申报名单，正在调试结算系统。",
    answer: "边界群众在对方定点医疗机构住院和门诊费用已实现直接结算，备案可通过手机办理。",
};
pub const WATER: Topic = Topic {
    bureau: "生态环境局",
    progress: "{unit}已开展交界河段水质联合监测，正在排查沿河排污口。",
    answer: "沿河排污口已完成整治，交界断面水质稳定达到三类标准，建立联合巡河制度。",
};
pub const SIGNAL: Topic = Topic {
    bureau: "工业和信息化局",
    progress: "{unit}已会同通信运营商完成信号盲区测试，新建基站选址已报批。",
    answer: "新建基站已开通，交界山区主要道路和村庄实现移动信号覆盖。",
};
pub const POLICE: Topic = Topic {
    bureau: "公安局",
    progress: "{unit}已与邻市公安机关建立边界警务协作联络员制度。",
    answer: "边界治安联防队已组建，开展联合巡逻，矛盾纠纷实行联排联调。",
};
pub const SCHOOL: Topic = Topic {
    bureau: "教育局",
    progress: "{unit}已摸排边界跨省就读学生名单，正在与邻市教育部门对接学籍互认办法。",
    answer: "跨省就读学生学籍转接和资助政策已实现衔接，相关学生均已享受资助。",
};

/// How far a suggestion has got in the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SugStage {
    /// Every city dispatched its part; deadlines ahead.
    Dispatched,
    /// Dispatched with deadlines already past and nothing answered.
    Overdue,
    /// Dispatched and every part reported progress.
    Progress,
    /// The origin answered its part; a partner is still working.
    PartAnswered,
    /// Every part answered, not rated yet.
    Answered,
    /// Answered and rated (satisfied or basically satisfied).
    Rated(Rating),
    /// Answered, rated unsatisfied, and so reopened.
    Unsatisfied,
    /// Rated and closed.
    Closed(Rating),
    /// Not solved this year: carried over into next year's congress.
    CarriedOver,
}

/// A jointly supervised suggestion, submitted at its origin with the partners.
pub struct SuggestionRow {
    pub origin: City,
    pub partners: &'static [City],
    /// Index into [`STATIONS`] of the station it came through.
    pub station: usize,
    pub topic: &'static Topic,
    pub stage: SugStage,
    pub title: &'static str,
    pub body: &'static str,
    pub proposers: &'static [&'static str],
}

use Rating::{BasicallySatisfied as BASIC, Satisfied as SAT};
use SugStage as S;

#[rustfmt::skip]
pub const SUGGESTIONS: [SuggestionRow; 23] = [
    SuggestionRow { origin: H, partners: &[Q], station: 2, topic: &ROAD, stage: S::Closed(SAT),
        title: "打通八步区黄洞瑶族乡至连山县上帅镇断头路",
        body: "黄洞瑶族乡与连山县上帅镇仅一山之隔，现有道路为砂石便道，雨季无法通行，群众绕行需两个多小时。建议两地将该路段纳入县乡道路提级改造计划，同步设计、同步施工，实现硬化贯通。",
        proposers: &["黄秀梅", "房石才"] },
    SuggestionRow { origin: Y, partners: &[H], station: 10, topic: &ROAD, stage: S::Closed(SAT),
        title: "推进江华县码市镇至八步区桂岭镇县道连通工程",
        body: "码市镇至桂岭镇县道省界段约6公里路面狭窄、弯急坡陡，货车无法会车。建议两地交通部门联合立项，统一技术标准，拓宽改造省界段。",
        proposers: &["奉雪梅", "李德贵"] },
    SuggestionRow { origin: Q, partners: &[Y], station: 5, topic: &ROAD, stage: S::Closed(BASIC),
        title: "连州市三水瑶族乡至蓝山县汇源瑶族乡公路提质改造",
        body: "三水至汇源公路是两地瑶族群众走亲赶圩的主要通道，路面破损严重。建议纳入两市年度公路养护大中修计划，并增设安全防护设施。",
        proposers: &["唐桂英", "任国庆"] },
    SuggestionRow { origin: H, partners: &[Y], station: 3, topic: &ROAD, stage: S::Closed(SAT),
        title: "贯通富川县朝东镇至江永县桃川镇旅游公路",
        body: "朝东镇与桃川镇山水相连、古村落集中，两地旅游公路在省界处中断约3公里。建议联合规划建设旅游公路连接线，带动边界乡村旅游。",
        proposers: &["莫振华", "蒋光明"] },
    SuggestionRow { origin: Y, partners: &[Q, H], station: 14, topic: &ROAD, stage: S::Closed(SAT),
        title: "建设江华县大圩镇至连山县小三江镇、八步区桂岭镇三省（区）连接线",
        body: "大圩、小三江、桂岭三镇地处三省（区）交界，相互之间没有直达公路。建议三地共同争取上级交通项目支持，建设三省（区）连接线，实现边界乡镇互联互通。",
        proposers: &["何建军", "邓志强", "钟文斌"] },
    SuggestionRow { origin: Q, partners: &[H], station: 9, topic: &ROAD, stage: S::Rated(SAT),
        title: "连山县禾洞镇至八步区大宁镇乡道拓宽改造",
        body: "禾洞至大宁乡道宽仅3.5米，沿线村民农产品外运困难。建议两地同步实施拓宽改造，并在省界处设置错车道和警示标志。",
        proposers: &["沈月娥", "盘金凤"] },
    SuggestionRow { origin: H, partners: &[Y], station: 4, topic: &ROAD, stage: S::Rated(BASIC),
        title: "改造富川县麦岭镇至江华县涛圩镇边界公路危桥",
        body: "麦岭至涛圩边界公路上的两座石拱桥已被鉴定为危桥，限载通行影响群众生产。建议两地按属地分别实施危桥改造，并统一设计荷载标准。",
        proposers: &["赵丽萍", "盘小燕"] },
    SuggestionRow { origin: H, partners: &[Q, Y], station: 0, topic: &FIRE, stage: S::Closed(SAT),
        title: "建立湘粤桂边界山林防火联防联控机制",
        body: "三地交界林区山高林密，一地起火极易蔓延到邻省。建议建立边界山林防火联席会议、信息互通和联合扑救机制，统一划定联防责任区。",
        proposers: &["李德贵", "莫建新", "唐德顺"] },
    SuggestionRow { origin: Y, partners: &[H], station: 11, topic: &FIRE, stage: S::Answered,
        title: "在江华、富川交界林区增设防火隔离带和瞭望塔",
        body: "涛圩、麦岭交界林区现有防火隔离带不连续，缺少瞭望设施。建议两地林业部门联合规划，补建防火隔离带和瞭望塔。",
        proposers: &["蒋光明", "钟文斌"] },
    SuggestionRow { origin: Q, partners: &[H], station: 6, topic: &FIRE, stage: S::Overdue,
        title: "组织连山、八步交界林区护林员联合巡护",
        body: "上帅、黄洞交界林区护林员各管一边，交界地带存在巡护空白。建议两地护林员联合排班巡护，共享巡护记录。",
        proposers: &["邓志强", "黄秀梅"] },
    SuggestionRow { origin: Q, partners: &[H], station: 6, topic: &BUS, stage: S::Closed(SAT),
        title: "开通连山县城至贺州市区跨省客运班线",
        body: "连山群众到贺州就医、务工需在途中换乘两次。建议两地运管部门协调开通连山至贺州直达客运班线，并在边界乡镇设停靠站。",
        proposers: &["莫建新", "莫振华"] },
    SuggestionRow { origin: Y, partners: &[Q], station: 13, topic: &BUS, stage: S::PartAnswered,
        title: "恢复蓝山县至连州市跨省客运班线并增加班次",
        body: "蓝山至连州客运班线停运后，边界群众出行只能搭乘私家车，存在安全隐患。建议恢复该班线，每日早晚各增开一班。",
        proposers: &["任国庆", "唐桂英"] },
    SuggestionRow { origin: H, partners: &[Y, Q], station: 1, topic: &BUS, stage: S::CarriedOver,
        title: "开行三省（区）边界乡镇赶圩公交专线",
        body: "桂岭、码市、小三江等边界圩镇圩日人流量大，群众赶圩缺少公共交通。建议开行连接三省（区）边界圩镇的赶圩公交专线。",
        proposers: &["钟文斌", "何建军", "沈月娥"] },
    SuggestionRow { origin: Y, partners: &[H], station: 12, topic: &FARM, stage: S::Unsatisfied,
        title: "建设江永—富川边界农产品冷链集配中心",
        body: "桃川、朝东两镇香芋、脐橙产量大，缺少冷链设施，旺季损耗严重。建议两地合建边界农产品冷链集配中心，共享仓储和物流。",
        proposers: &["唐德顺", "赵丽萍"] },
    SuggestionRow { origin: H, partners: &[Q], station: 2, topic: &FARM, stage: S::Rated(BASIC),
        title: "支持粤桂边界瑶乡特色农产品进入大湾区市场",
        body: "黄洞、上帅瑶乡的茶叶、竹笋等特色农产品品质好但销路窄。建议两地联合打造区域公共品牌，对接大湾区采购商和电商平台。",
        proposers: &["盘金凤", "李春兰"] },
    SuggestionRow { origin: Q, partners: &[Y, H], station: 5, topic: &FARM, stage: S::Progress,
        title: "联合打造三省（区）边界农产品产地交易市场",
        body: "边界农产品多由外地客商分散收购，价格被压低。建议在三水、码市、桂岭之间选址建设产地交易市场，定期举办产销对接会。",
        proposers: &["李春兰", "奉雪梅", "黄秀梅"] },
    SuggestionRow { origin: H, partners: &[Q, Y], station: 0, topic: &MEDICAL, stage: S::Closed(SAT),
        title: "推进三省（区）边界群众医保异地就医直接结算",
        body: "边界群众就近到邻省医院就医后需回参保地报销，往返奔波。建议三地医保部门将边界医疗机构互设为异地就医定点，实现直接结算。",
        proposers: &["赵丽萍", "房石才", "奉雪梅"] },
    SuggestionRow { origin: Y, partners: &[H], station: 11, topic: &MEDICAL, stage: S::Answered,
        title: "将边界乡镇卫生院纳入跨省门诊慢特病直接结算定点",
        body: "涛圩、麦岭一带高血压、糖尿病等慢特病患者多在邻省卫生院取药，无法直接结算。建议将边界乡镇卫生院纳入门诊慢特病跨省结算定点。",
        proposers: &["盘小燕", "李德贵"] },
    SuggestionRow { origin: Q, partners: &[H], station: 9, topic: &MEDICAL, stage: S::Overdue,
        title: "简化粤桂边界群众异地就医备案手续",
        body: "边界群众办理异地就医备案仍需提交纸质材料。建议两地推行线上备案、承诺制备案，边界常住群众一次备案长期有效。",
        proposers: &["沈月娥", "莫振华"] },
    SuggestionRow { origin: H, partners: &[Y], station: 3, topic: &WATER, stage: S::Dispatched,
        title: "联合治理富川—江永交界河段水污染",
        body: "朝东至桃川交界河段沿岸养殖废水直排，下游水质下降。建议两地联合开展排污口整治和水质监测，建立交界河段联合河长制。",
        proposers: &["莫振华", "唐德顺"] },
    SuggestionRow { origin: Q, partners: &[H, Y], station: 7, topic: &SIGNAL, stage: S::Progress,
        title: "消除三省（区）交界山区移动通信信号盲区",
        body: "小三江、桂岭、码市交界山区多处没有移动信号，群众报警求助和护林员巡护通讯困难。建议三地协调通信运营商共建共享基站。",
        proposers: &["邓志强", "钟文斌", "蒋光明"] },
    SuggestionRow { origin: Y, partners: &[Q], station: 13, topic: &POLICE, stage: S::Closed(SAT),
        title: "建立湘粤边界治安联防与矛盾纠纷联调机制",
        body: "汇源、瑶安边界偶有盗伐林木、偷牛等案件，跨省办案协作不畅。建议两地公安机关建立边界警务协作和纠纷联调机制。",
        proposers: &["何建军", "唐桂英"] },
    SuggestionRow { origin: H, partners: &[Y], station: 4, topic: &SCHOOL, stage: S::Rated(SAT),
        title: "解决湘桂边界跨省就读学生学籍与资助衔接问题",
        body: "麦岭、涛圩一带不少学生跨省就读，学籍转接慢，部分学生未能享受生活补助。建议两地教育部门建立学籍互认和资助衔接机制。",
        proposers: &["钟文斌", "盘小燕"] },
];
