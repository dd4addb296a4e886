//! The public opinions (群众意见) of the demo's market-day reception at the 贺街 station:
//! eighteen opinions received by the three cities' deputies, nine answered and solved on
//! the spot, the rest passed to units — six of those with the units' feedback — as the
//! activity's report says (收集…意见18条，当场答复解决9件).

use lianluo_proto::{
    change::Kind as K, ActivityOpinionAnswered, ActivityOpinionFeedback, ActivityOpinionReceived,
    ActivityOpinionReferred,
};

use super::super::data::{City, CITY_CN};
use super::{step, Step};

/// The activity (index into the demo's activities) whose opinions are registered.
pub(super) const RECEPTION: usize = 1;

/// What people raised, with the unit that handles it when it is not settled on the spot.
const TOPICS: [(&str, &str); 6] = [
    ("跨省就医结算备案手续繁琐", "医疗保障局"),
    ("希望增开至县城的客运班次", "交通运输局"),
    ("边界山林界址标志被损毁", "自然资源局"),
    ("村道路灯损坏多日未修", "住房和城乡建设局"),
    ("边界学校学生资助衔接不畅", "教育局"),
    ("圩日农产品摊位不够", "市场监督管理局"),
];

/// The steps: each city registers six opinions; the first three of each are answered on
/// the spot and solved, the rest passed to a unit, the first two of those fed back.
pub(super) fn steps(all: &[City], place: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut handling = Vec::new();
    for &city in all {
        // A city's opinions are numbered among its own.
        for (number, (k, (content, unit))) in (1..).zip(TOPICS.iter().enumerate()) {
            let person = format!("{}边界群众{}", CITY_CN[city].trim_end_matches('市'), k + 1);
            steps.push(step(
                city,
                K::ActivityOpinionReceived(ActivityOpinionReceived {
                    person,
                    content: (*content).to_owned(),
                    place: place.to_owned(),
                }),
            ));
            handling.extend(handle(city, number, k, unit));
        }
    }
    steps.extend(handling);
    steps
}

/// What `city` does with its `k`-th opinion, numbered `number`.
fn handle(city: City, number: u32, k: usize, unit: &str) -> Vec<Step> {
    if k < 3 {
        let answer = "代表当场协调有关部门答复，问题已解决。".to_owned();
        return vec![step(
            city,
            K::ActivityOpinionAnswered(ActivityOpinionAnswered {
                opinion: number,
                answer,
                solved: true,
            }),
        )];
    }
    let unit = format!("{}{unit}", CITY_CN[city]);
    let mut out = vec![step(
        city,
        K::ActivityOpinionReferred(ActivityOpinionReferred {
            opinion: number,
            unit,
        }),
    )];
    if k < 5 {
        out.push(step(
            city,
            K::ActivityOpinionFeedback(ActivityOpinionFeedback {
                opinion: number,
                feedback: "已列入工作计划，正在推进。".to_owned(),
                solved: false,
            }),
        ));
    }
    out
}
