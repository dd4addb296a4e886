//! The demo's data tables, part 2: 35 border land and forest disputes (most resolved, some
//! in mediation, two escalated, one withdrawn) and 30 joint station activities.
//!
//! Village names are place-like, written for the demo.

use lianluo_proto::ActivityKind;

use super::data::{City, When, H, Q, Y};

/// What the parties dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Forest,
    Woodland,
    Farmland,
    Water,
    Tea,
}

impl Subject {
    /// The subject in Chinese, e.g. 山林.
    pub fn cn(self) -> &'static str {
        match self {
            Subject::Forest => "山林",
            Subject::Woodland => "林地",
            Subject::Farmland => "耕地",
            Subject::Water => "水源",
            Subject::Tea => "油茶林",
        }
    }

    /// What set the dispute off.
    pub fn trigger(self) -> &'static str {
        match self {
            Subject::Forest => "一方进山采伐林木",
            Subject::Woodland => "一方整地造林",
            Subject::Farmland => "一方开荒耕种",
            Subject::Water => "旱季争水灌溉",
            Subject::Tea => "采摘油茶果",
        }
    }
}

/// How far a dispute has got in the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeStage {
    /// Reported, nothing else yet.
    Reported,
    /// One or two mediation sessions held.
    Mediating,
    /// An agreement recorded and confirmed by the origin only.
    Agreed,
    /// Confirmed by every participant city.
    InForce,
    /// Confirmed, checked on site, resolved.
    Resolved,
    /// Mediation failed; escalated to the provincial government.
    Escalated,
    /// Withdrawn by the reporting side after settling it themselves.
    Withdrawn,
}

/// A border land or forest dispute, reported by `origin` (the side of the first party).
pub struct DisputeRow {
    pub origin: City,
    pub partners: &'static [City],
    /// Index into [`super::data::STATIONS`] of the station that mediates it.
    pub station: usize,
    pub location: &'static str,
    /// The parties, the reporting side's first.
    pub parties: &'static [&'static str],
    pub subject: Subject,
    /// Area in mu (0 when not surveyed yet).
    pub area: f64,
    pub stage: DisputeStage,
}

use DisputeStage as D;
use Subject as J;

#[rustfmt::skip]
pub const DISPUTES: [DisputeRow; 35] = [
    DisputeRow { origin: H, partners: &[Q], station: 2, location: "黄洞—上帅交界大冲岭", parties: &["八步区黄洞瑶族乡三岐村", "连山县上帅镇上帅村"], subject: J::Forest, area: 320.0, stage: D::Resolved },
    DisputeRow { origin: Q, partners: &[H], station: 6, location: "上帅—黄洞交界牛角冲", parties: &["连山县上帅镇联红村", "八步区黄洞瑶族乡都江村"], subject: J::Woodland, area: 85.0, stage: D::Resolved },
    DisputeRow { origin: H, partners: &[Q], station: 1, location: "桂岭—禾洞交界高寨岭", parties: &["八步区桂岭镇善华村", "连山县禾洞镇禾洞村"], subject: J::Forest, area: 460.0, stage: D::Resolved },
    DisputeRow { origin: Q, partners: &[H], station: 9, location: "禾洞—桂岭交界猴子岭", parties: &["连山县禾洞镇新联村", "八步区桂岭镇桂山村"], subject: J::Tea, area: 120.0, stage: D::Resolved },
    DisputeRow { origin: H, partners: &[Q], station: 2, location: "黄洞—上帅交界长塘坳", parties: &["八步区黄洞瑶族乡黄洞村", "连山县上帅镇新寨村"], subject: J::Water, area: 0.0, stage: D::Mediating },
    DisputeRow { origin: Q, partners: &[H], station: 7, location: "小三江—桂岭交界石背岭", parties: &["连山县小三江镇石坪村", "八步区桂岭镇大洞村"], subject: J::Forest, area: 275.0, stage: D::Resolved },
    DisputeRow { origin: H, partners: &[Q], station: 1, location: "桂岭—小三江交界老虎冲", parties: &["八步区桂岭镇龙井村", "连山县小三江镇塘联村"], subject: J::Woodland, area: 64.0, stage: D::Resolved },
    DisputeRow { origin: Q, partners: &[H], station: 6, location: "上帅—黄洞交界马鞍山", parties: &["连山县上帅镇上草村", "八步区黄洞瑶族乡三岐村"], subject: J::Forest, area: 530.0, stage: D::Escalated },
    DisputeRow { origin: H, partners: &[Q, Y], station: 1, location: "湘粤桂三省（区）交界三界顶", parties: &["八步区桂岭镇桂山村", "连山县禾洞镇新联村", "江华县码市镇大坪村"], subject: J::Forest, area: 880.0, stage: D::Resolved },
    DisputeRow { origin: Q, partners: &[H], station: 9, location: "禾洞—大宁交界水口冲", parties: &["连山县禾洞镇东联村", "八步区大宁镇北娄村"], subject: J::Farmland, area: 18.5, stage: D::Resolved },
    DisputeRow { origin: H, partners: &[Q], station: 2, location: "黄洞—上帅交界竹山坪", parties: &["八步区黄洞瑶族乡都江村", "连山县上帅镇联红村"], subject: J::Woodland, area: 42.0, stage: D::Resolved },
    DisputeRow { origin: H, partners: &[Y], station: 3, location: "朝东—桃川交界岔山坳", parties: &["富川县朝东镇岔山村", "江永县桃川镇石枧村"], subject: J::Farmland, area: 26.0, stage: D::Resolved },
    DisputeRow { origin: Y, partners: &[H], station: 12, location: "桃川—朝东交界大塘源", parties: &["江永县桃川镇所城村", "富川县朝东镇秀水村"], subject: J::Water, area: 0.0, stage: D::Resolved },
    DisputeRow { origin: H, partners: &[Y], station: 4, location: "麦岭—涛圩交界青山口", parties: &["富川县麦岭镇长春村", "江华县涛圩镇岭东村"], subject: J::Forest, area: 210.0, stage: D::Resolved },
    DisputeRow { origin: Y, partners: &[H], station: 11, location: "涛圩—麦岭交界坪石岭", parties: &["江华县涛圩镇八田村", "富川县麦岭镇麦岭村"], subject: J::Tea, area: 95.0, stage: D::Agreed },
    DisputeRow { origin: H, partners: &[Y], station: 3, location: "朝东—桃川交界油沐冲", parties: &["富川县朝东镇油沐村", "江永县桃川镇上洞村"], subject: J::Woodland, area: 58.0, stage: D::Resolved },
    DisputeRow { origin: Y, partners: &[H], station: 12, location: "桃川—朝东交界黄泥坳", parties: &["江永县桃川镇洞美村", "富川县朝东镇蚌贝村"], subject: J::Farmland, area: 12.0, stage: D::Resolved },
    DisputeRow { origin: H, partners: &[Y], station: 4, location: "麦岭—涛圩交界牛塘岭", parties: &["富川县麦岭镇高路村", "江华县涛圩镇两岔村"], subject: J::Forest, area: 340.0, stage: D::Resolved },
    DisputeRow { origin: Y, partners: &[H], station: 11, location: "涛圩—麦岭交界大坪冲", parties: &["江华县涛圩镇大坪村", "富川县麦岭镇青山口村"], subject: J::Water, area: 0.0, stage: D::Mediating },
    DisputeRow { origin: Y, partners: &[H], station: 10, location: "码市—桂岭交界冷水冲", parties: &["江华县码市镇冷水村", "八步区桂岭镇龙井村"], subject: J::Forest, area: 410.0, stage: D::Resolved },
    DisputeRow { origin: H, partners: &[Y], station: 1, location: "桂岭—码市交界黄竹坳", parties: &["八步区桂岭镇大洞村", "江华县码市镇黄竹村"], subject: J::Woodland, area: 77.0, stage: D::Withdrawn },
    DisputeRow { origin: Y, partners: &[H], station: 14, location: "大圩—桂岭交界白石岗", parties: &["江华县大圩镇宝镜村", "八步区桂岭镇善华村"], subject: J::Tea, area: 66.0, stage: D::Resolved },
    DisputeRow { origin: Q, partners: &[Y], station: 5, location: "三水—汇源交界大龙山", parties: &["连州市三水瑶族乡大龙村", "蓝山县汇源瑶族乡湘蓝村"], subject: J::Forest, area: 620.0, stage: D::Resolved },
    DisputeRow { origin: Y, partners: &[Q], station: 13, location: "汇源—瑶安交界鹅公岭", parties: &["蓝山县汇源瑶族乡犁头村", "连州市瑶安瑶族乡田心村"], subject: J::Woodland, area: 150.0, stage: D::Resolved },
    DisputeRow { origin: Q, partners: &[Y], station: 8, location: "瑶安—汇源交界石门冲", parties: &["连州市瑶安瑶族乡盘石村", "蓝山县汇源瑶族乡桐村"], subject: J::Farmland, area: 22.0, stage: D::InForce },
    DisputeRow { origin: Y, partners: &[Q], station: 13, location: "汇源—三水交界分水坳", parties: &["蓝山县汇源瑶族乡汇源村", "连州市三水瑶族乡新八村"], subject: J::Water, area: 0.0, stage: D::Resolved },
    DisputeRow { origin: Q, partners: &[Y], station: 5, location: "三水—汇源交界杉木冲", parties: &["连州市三水瑶族乡过江村", "蓝山县汇源瑶族乡大源村"], subject: J::Forest, area: 380.0, stage: D::Resolved },
    DisputeRow { origin: Y, partners: &[Q], station: 13, location: "汇源—瑶安交界茅坪岭", parties: &["蓝山县汇源瑶族乡茅坪村", "连州市瑶安瑶族乡新民村"], subject: J::Forest, area: 710.0, stage: D::Escalated },
    DisputeRow { origin: Q, partners: &[Y], station: 8, location: "瑶安—汇源交界杨梅坳", parties: &["连州市瑶安瑶族乡瑶安村", "蓝山县汇源瑶族乡犁头村"], subject: J::Tea, area: 48.0, stage: D::Resolved },
    DisputeRow { origin: Q, partners: &[H, Y], station: 7, location: "小三江三省（区）交界三江口", parties: &["连山县小三江镇三江村", "八步区桂岭镇桂山村", "江华县码市镇大坪村"], subject: J::Water, area: 0.0, stage: D::Resolved },
    DisputeRow { origin: Y, partners: &[Q], station: 13, location: "汇源—瑶安交界松柏冲", parties: &["蓝山县汇源瑶族乡桐村", "连州市瑶安瑶族乡盘石村"], subject: J::Woodland, area: 33.0, stage: D::Mediating },
    DisputeRow { origin: Q, partners: &[Y], station: 5, location: "三水—汇源交界龙潭坳", parties: &["连州市三水瑶族乡三水村", "蓝山县汇源瑶族乡湘蓝村"], subject: J::Farmland, area: 15.0, stage: D::Resolved },
    DisputeRow { origin: Y, partners: &[H], station: 10, location: "码市—桂岭交界大岭脚", parties: &["江华县码市镇大坪村", "八步区桂岭镇桂山村"], subject: J::Forest, area: 260.0, stage: D::Resolved },
    DisputeRow { origin: Q, partners: &[H], station: 9, location: "禾洞—大宁交界鸡公岭", parties: &["连山县禾洞镇禾洞村", "八步区大宁镇龙门村"], subject: J::Woodland, area: 90.0, stage: D::Resolved },
    DisputeRow { origin: Y, partners: &[H], station: 12, location: "桃川—朝东交界瓦窑冲", parties: &["江永县桃川镇升平村", "富川县朝东镇福溪村"], subject: J::Tea, area: 40.0, stage: D::Mediating },
];

/// How far an activity has got in the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActStage {
    Planned,
    Held,
    Cancelled,
}

/// A joint activity of a station, planned and reported by the station's host city with
/// the station's partners.
pub struct ActivityRow {
    /// Index into [`super::data::STATIONS`].
    pub station: usize,
    pub kind: ActivityKind,
    pub title: &'static str,
    pub when: When,
    pub stage: ActStage,
    pub opinions: u32,
    pub problems: u32,
    /// The report of a held activity, or the reason it was cancelled.
    pub report: &'static str,
}

use ActStage::{Cancelled, Held, Planned};
use ActivityKind::{
    ConstituentReception as CR, JointInspection as JI, JointResearch as JR, JointTraining as JT,
};
use When::{Future as F, Past as P};

#[rustfmt::skip]
pub const ACTIVITIES: [ActivityRow; 30] = [
    ActivityRow { station: 0, kind: JI, title: "三地代表联合视察贺街边界道路建设", when: P(120), stage: Held, opinions: 12, problems: 5,
        report: "实地查看3处断头路施工现场，提出加快征地、统一技术标准等意见建议12条，现场协调解决5个问题。" },
    ActivityRow { station: 0, kind: CR, title: "贺街联络站三地代表联合接待群众日", when: P(250), stage: Held, opinions: 18, problems: 9,
        report: "三地代表联合接待边界群众32人次，收集就医结算、客运班线等意见18条，当场答复解决9件。" },
    ActivityRow { station: 1, kind: JR, title: "湘粤桂边界山林防火联防机制联合调研", when: P(180), stage: Held, opinions: 9, problems: 3,
        report: "走访边界林区6个村，形成联合调研报告，建议统一防火期、共建瞭望塔和扑火物资储备点。" },
    ActivityRow { station: 1, kind: JT, title: "三省（区）边界联络站代表履职联合培训", when: P(300), stage: Held, opinions: 6, problems: 0,
        report: "培训三地代表和联络站工作人员58人，讲解联合督办建议和边界纠纷调处流程。" },
    ActivityRow { station: 2, kind: CR, title: "黄洞—上帅边界群众联合接待", when: P(200), stage: Held, opinions: 15, problems: 8,
        report: "两地代表在联络站联合接待群众，收集山林权属、道路出行等问题15个，化解8个。" },
    ActivityRow { station: 2, kind: JI, title: "粤桂边界森林防火通道联合视察", when: F(300), stage: Planned, opinions: 0, problems: 0, report: "" },
    ActivityRow { station: 3, kind: JR, title: "湘桂边界农产品流通情况联合调研", when: P(350), stage: Held, opinions: 11, problems: 4,
        report: "调研朝东、桃川两镇香芋、脐橙产销情况，提出共建冷链设施、联合品牌营销等建议11条。" },
    ActivityRow { station: 3, kind: CR, title: "朝东—桃川边界赶圩日代表联合接待", when: P(500), stage: Held, opinions: 21, problems: 12,
        report: "借赶圩日在圩场设点接待群众，收集意见21条，协调解决摊位管理、道路照明等问题12个。" },
    ActivityRow { station: 4, kind: JI, title: "麦岭—涛圩边界公路危桥改造联合视察", when: P(420), stage: Held, opinions: 7, problems: 3,
        report: "查看两座危桥改造进度，督促施工单位汛期前完成主体工程，协调解决临时便道等问题3个。" },
    ActivityRow { station: 5, kind: JR, title: "三省（区）边界医保异地结算联合调研", when: P(150), stage: Held, opinions: 14, problems: 6,
        report: "走访边界卫生院和参保群众，梳理异地就医备案、结算难点14个，推动解决6个。" },
    ActivityRow { station: 5, kind: CR, title: "三水联络站代表联合接待群众", when: P(600), stage: Held, opinions: 17, problems: 10,
        report: "三地代表联合接待群众，收集教育、医疗、交通等意见17条，当场解决10件，其余转交有关部门办理。" },
    ActivityRow { station: 6, kind: JI, title: "连山—贺州跨省客运班线运行情况联合视察", when: P(380), stage: Held, opinions: 8, problems: 4,
        report: "乘坐班线实地体验，检查沿线站点和车辆安全，建议增开周末班次，协调解决停靠站设置等问题4个。" },
    ActivityRow { station: 6, kind: JT, title: "粤桂边界人民调解员与人大代表联合培训", when: P(90), stage: Held, opinions: 5, problems: 0,
        report: "培训两地人民调解员和代表46人，交流山林纠纷调处典型案例。" },
    ActivityRow { station: 7, kind: JR, title: "小三江三省（区）交界移动信号覆盖联合调研", when: P(450), stage: Held, opinions: 10, problems: 3,
        report: "实地测试交界山区信号强度，梳理盲区点位23处，建议三地运营商共建共享基站。" },
    ActivityRow { station: 7, kind: CR, title: "小三江联络站三地代表联合接待", when: F(400), stage: Planned, opinions: 0, problems: 0, report: "" },
    ActivityRow { station: 8, kind: CR, title: "瑶安—汇源边界群众联合接待", when: P(270), stage: Held, opinions: 13, problems: 7,
        report: "两地代表联合接待瑶族群众，收集意见13条，化解宅基地、灌溉用水等矛盾7起。" },
    ActivityRow { station: 8, kind: JI, title: "湘粤边界治安联防工作联合视察", when: P(650), stage: Held, opinions: 6, problems: 2,
        report: "视察边界警务协作站和联防队巡逻情况，建议完善案件移交和信息共享制度。" },
    ActivityRow { station: 9, kind: JR, title: "禾洞边界林区护林员队伍建设联合调研", when: P(550), stage: Held, opinions: 9, problems: 2,
        report: "座谈三地护林员28人，提出统一巡护装备、提高护林员补助等建议9条。" },
    ActivityRow { station: 9, kind: JT, title: "三地联络站工作人员业务联合培训", when: F(200), stage: Cancelled, opinions: 0, problems: 0,
        report: "受强降雨天气影响，山区道路中断，培训延期另行安排。" },
    ActivityRow { station: 10, kind: JI, title: "码市—桂岭县道连通工程联合视察", when: P(320), stage: Held, opinions: 11, problems: 6,
        report: "视察省界段拓宽改造工程，协调解决砂石料运输、临时用地等问题6个。" },
    ActivityRow { station: 10, kind: CR, title: "码市联络站三省（区）代表联合接待群众日", when: P(700), stage: Held, opinions: 24, problems: 13,
        report: "三省（区）代表联合接待群众50余人次，收集意见24条，现场解决13件，其余纳入联合督办。" },
    ActivityRow { station: 10, kind: JR, title: "三省（区）边界农产品产地交易市场建设联合调研", when: F(150), stage: Planned, opinions: 0, problems: 0, report: "" },
    ActivityRow { station: 11, kind: JI, title: "涛圩—富川交界林区防火隔离带建设联合视察", when: P(480), stage: Held, opinions: 8, problems: 3,
        report: "查看防火隔离带和瞭望塔建设点位，督促两地同步施工，协调解决施工便道等问题3个。" },
    ActivityRow { station: 12, kind: CR, title: "桃川—朝东边界群众联合接待", when: P(220), stage: Held, opinions: 16, problems: 9,
        report: "两地代表联合接待群众，收集意见16条，调处耕地、用水纠纷等问题9个。" },
    ActivityRow { station: 12, kind: JR, title: "江永—富川边界冷链物流需求联合调研", when: P(580), stage: Held, opinions: 12, problems: 2,
        report: "走访合作社和种植大户，测算冷链仓储需求，形成冷链集配中心选址建议。" },
    ActivityRow { station: 13, kind: JT, title: "湘粤边界代表履职能力联合培训", when: P(160), stage: Held, opinions: 4, problems: 0,
        report: "培训两地代表39人，讲解建议撰写和联合督办要点。" },
    ActivityRow { station: 13, kind: CR, title: "汇源联络站湘粤两地代表联合接待", when: P(520), stage: Held, opinions: 14, problems: 8,
        report: "联合接待群众，收集客运班线、医保结算等意见14条，解决8件。" },
    ActivityRow { station: 14, kind: JI, title: "大圩—小三江—桂岭三省（区）连接线联合视察", when: P(620), stage: Held, opinions: 9, problems: 4,
        report: "三地代表沿连接线全线视察，建议完善交界处安全设施，协调解决排水沟衔接等问题4个。" },
    ActivityRow { station: 14, kind: JT, title: "三省（区）边界矛盾纠纷联合调处培训", when: F(500), stage: Planned, opinions: 0, problems: 0, report: "" },
    ActivityRow { station: 14, kind: CR, title: "大圩联络站三地代表联合接待群众", when: P(750), stage: Held, opinions: 19, problems: 11,
        report: "三地代表联合接待群众，收集意见19条，当场解决11件，其余转交有关部门限期办理。" },
];
