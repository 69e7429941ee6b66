//! `kohi survey` on certificates shaped the ways a real PMH layout plausibly is: names in
//! English, romaji, Japanese or the registration API's camelCase; the payer, the period or the
//! cap in groups of their own; the holder's own data, a list of printed items, a date of issue
//! and a note beside the fields. The layout the survey proposes must read every 公費 as written
//! (numbers, period, name, income segment, cap), and no value of the holder's own data may reach
//! a 公費. Each defect this found was a 公費 read wrong with `pmh: received`, no warning.

use kohi::survey::survey;
use kohi::{NumberKind, ParseOptions, check_number};
use proptest::prelude::*;

mod common;
use common::json::json_form;
use common::with_certificates;

/// The certificates (XML) in a face result, where `placement` says (see `Shape::placement`).
fn placed(certificates: &str, placement: u8) -> Vec<u8> {
    let in_result = String::from_utf8(with_certificates(certificates)).unwrap();
    let list = format!("<KohiList>{certificates}</KohiList>");
    assert!(in_result.contains(&list));
    match placement {
        0 => in_result.into_bytes(),
        1 => in_result.replace(&list, "").replace("<ResultList>", &format!("{list}<ResultList>")).into_bytes(),
        2 => in_result.replace(&list, &format!("<PmhInfo>{list}</PmhInfo>")).into_bytes(),
        _ => {
            let header_end = in_result.find("</MessageHeader>").unwrap() + "</MessageHeader>".len();
            let start = in_result.find("<XmlMsg>").unwrap() + "<XmlMsg>".len();
            format!("<PmhMsg>{}<MessageBody>{list}</MessageBody></PmhMsg>", &in_result[start..header_end]).into_bytes()
        }
    }
}

/// One field's names, one per style: onshi-like English, romaji, Japanese, short English, the
/// registration API's camelCase.
type Names = [&'static str; 5];
const PAYER: Names =
    ["PublicExpenseBurdenerNumber", "FutanshaBango", "公費負担者番号", "PayerNo", "medicalSubsidyInsurerNumber"];
const RECIPIENT: Names =
    ["PublicExpenseRecipientNumber", "JukyushaBango", "公費受給者番号", "RecipNo", "medicalSubsidyRecipientNumber"];
const NAME: Names = ["CertificateName", "ShoMei", "受給者証名", "CertName", "certificationName"];
const FROM: Names = ["ValidStartDate", "YukoKaishiBi", "有効期間開始日", "ValidFrom", "validFrom"];
const TO: Names = ["ValidEndDate", "YukoShuryoBi", "有効期間終了日", "ValidTo", "validTo"];
const INCOME: Names = ["IncomeClassification", "ShotokuKubun", "所得区分", "Income", "incomeSegment"];
const CAP: Names = ["CopaymentLimit", "JikoFutanJogenGaku", "自己負担上限額", "Cap", "maxCopaymentAmount"];
const ISSUE: Names = ["IssueDate", "KofuBi", "交付日", "Issued", "issueDate"];
const TYPE_ID: Names = ["CertificateTypeId", "ShubetsuId", "受給者証種別ID", "TypeId", "orgSpecificCertificateTypeId"];
const PAYER_GROUP: Names = ["Burdener", "Futansha", "負担者", "Payer", "insurer"];
const PERIOD_GROUP: Names = ["ValidPeriod", "YukoKikan", "有効期間", "Period", "validPeriod"];
const RECIPIENT_GROUP: Names = ["Recipient", "Jukyusha", "受給者", "Recip", "recipient"];
const NUMBERS_GROUP: Names = ["Numbers", "Bangou", "番号", "Nos", "numbers"];
/// The one leaf name of both numbers when each sits in a group of its own.
const NUMBER: Names = ["Number", "Bango", "番号", "No", "number"];

/// How one kind of certificate is written.
#[derive(Debug, Clone)]
struct Shape {
    /// The style of each field's name (payer, recipient, name, from, to, income, cap, issue,
    /// groups): mostly one for all.
    styles: [usize; 9],
    /// Dates as `YYYYMMDD`, `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY/M/D`, in full-width digits, or
    /// as dates and times (`…T00:00:00+09:00`, `…T00:00:00.000Z`), or in 和暦 (`令和7年4月1日`,
    /// `R07.04.01`), or as `YYYYMMDD000000`.
    dates: u8,
    /// Each certificate's fields in another order (a rotation by its index times this).
    rotate: usize,
    /// The certificate's own values (the cap's amount too, not a group's) in its attributes.
    attributes: bool,
    /// With two files, the first written with elements where the second has attributes (a
    /// folder of two spellings; a survey once proposed half of each and read neither).
    spelled_apart: bool,
    /// Where the list sits: in the result, at the person level (in `MessageBody`), in a
    /// wrapper of its own in the result, or in a document of its own (root `PmhMsg`).
    placement: u8,
    payer_in_group: bool,
    /// The payer and the recipient each in a group of its own, under one leaf name
    /// (`<Futansha><Bango>…</Bango></Futansha><Jukyusha><Bango>…</Bango></Jukyusha>`).
    numbers_in_groups: bool,
    /// Both numbers in one group (`<Bangou><FutanshaBango>…<JukyushaBango>…</Bangou>`).
    numbers_in_one_group: bool,
    period_in_group: bool,
    /// 0: no cap; 1: an amount; 2: a group of amounts; 3: the same with a note.
    cap: u8,
    income: bool,
    issue_date: bool,
    holder: bool,
    items: bool,
    /// Local programs with free-text 受給者番号 (else national ones with the check digit).
    local: bool,
    /// National and local programs by turns (their 受給者番号 under one name).
    mixed: bool,
    /// Some certificates without the income segment or the cap (every second, every third).
    sparse: bool,
    /// A code of the kind of certificate beside its fields (the registration API's
    /// `orgSpecificCertificateTypeId`), the same in every certificate of a program, with the
    /// API's `historyKey` and `isDeleted`.
    type_id: bool,
}

fn shape() -> impl Strategy<Value = Shape> {
    let styles = (0..5usize, any::<bool>(), any::<[u8; 9]>())
        .prop_map(|(style, mix, picks)| picks.map(|p| if mix { usize::from(p) % 5 } else { style }));
    (styles, any::<[bool; 15]>(), 0..4u8, 0..7usize, 0..4u8, 0..10u8).prop_map(
        |(styles, f, cap, rotate, placement, dates)| Shape {
            styles,
            numbers_in_groups: f[13],
            numbers_in_one_group: f[14],
            type_id: f[12],
            spelled_apart: f[11],
            placement,
            sparse: f[10],
            attributes: f[9],
            dates,
            rotate,
            mixed: f[8],
            payer_in_group: f[0],
            period_in_group: f[1],
            cap,
            income: f[2],
            issue_date: f[3],
            holder: f[4],
            items: f[5],
            local: f[6],
        },
    )
}

/// A number of `kind` from its body, with the check digit it calls for.
fn checked(kind: NumberKind, body: &str) -> String {
    let digit = check_number(kind, &format!("{body}0")).expected_check_digit.expect("a body of the kind's shape");
    format!("{body}{digit}")
}

/// What one certificate says: the truth the layout must read back.
struct Certificate {
    index: usize,
    has_income: bool,
    has_cap: bool,
    payer: String,
    recipient: String,
    from: (u32, u32),
    to: (u32, u32),
    name: &'static str,
    income: &'static str,
    cap: Vec<(&'static str, &'static str)>,
}

impl Certificate {
    fn new(i: usize, s: &Shape) -> Self {
        let local = if s.mixed { i % 2 == 1 } else { s.local };
        // 法別 54/52 national, 88/80 local; the 受給者番号 of a local one is free text.
        let (law, recipient) = if local {
            (["88", "80"][i % 2], ["A-778", "第123号", "K000012345", "12-3456"][i % 4].to_owned())
        } else {
            (["54", "52"][i % 2], checked(NumberKind::Recipient, &format!("{:06}", 123_456 + i * 7)))
        };
        Certificate {
            index: i,
            has_income: s.income && !(s.sparse && i % 2 == 1),
            has_cap: s.cap > 0 && !(s.sparse && i % 3 == 2),
            payer: checked(NumberKind::Payer, &format!("{law}13{:03}", 601 + i)),
            recipient,
            from: (2025, 4 + i as u32),
            to: (2026, 3 + i as u32),
            name: ["特定医療費（指定難病）受給者証", "小児慢性特定疾病医療受給者証"][i % 2],
            income: ["一般所得Ⅰ", "上位所得"][i % 2],
            cap: vec![("Getsugaku", ["10000", "5000"][i % 2]), ("Nyuin", ["20000", "10000"][i % 2])],
        }
    }

    fn xml(&self, s: &Shape) -> String {
        let el = |name: &str, value: &str| format!("<{name}>{value}</{name}>");
        let date = |(y, m): (u32, u32)| {
            let (y, m) = (y + (m - 1) / 12, (m - 1) % 12 + 1);
            match s.dates {
                0 => format!("{y}{m:02}01"),
                1 => format!("{y}-{m:02}-01"),
                2 => format!("{y}/{m:02}/01"),
                3 => format!("{y}/{m}/1"),
                // As a JSON API may write a date: midnight in Japan, or the date alone in UTC.
                5 => format!("{y}-{m:02}-01T00:00:00+09:00"),
                6 => format!("{y}-{m:02}-01T00:00:00.000Z"),
                // 和暦, as a municipality's system may write it.
                7 => format!("令和{}年{m}月1日", y - 2018),
                8 => format!("R{:02}.{m:02}.01", y - 2018),
                // The onshi layout's time stamp, at midnight.
                9 => format!("{y}{m:02}01000000"),
                _ => {
                    format!("{y}{m:02}01").chars().map(|c| char::from_u32(c as u32 - 0x30 + 0xFF10).unwrap()).collect()
                }
            }
        };
        let st = s.styles;
        let mut fields = Vec::new();
        if s.numbers_in_one_group {
            let numbers = el(PAYER[st[0]], &self.payer) + &el(RECIPIENT[st[1]], &self.recipient);
            fields.push(el(NUMBERS_GROUP[st[8]], &numbers));
        } else if s.numbers_in_groups {
            let number = |value: &str| el(NUMBER[st[0]], value);
            fields.push(el(PAYER_GROUP[st[8]], &(number(&self.payer) + &el("Meisho", "東京都"))));
            fields.push(el(RECIPIENT_GROUP[st[8]], &number(&self.recipient)));
        } else {
            let payer = el(PAYER[st[0]], &self.payer);
            fields.push(if s.payer_in_group {
                el(PAYER_GROUP[st[8]], &(payer + &el("Meisho", "東京都")))
            } else {
                payer
            });
            fields.push(el(RECIPIENT[st[1]], &self.recipient));
        }
        fields.push(el(NAME[st[2]], self.name));
        let period = el(FROM[st[3]], &date(self.from)) + &el(TO[st[4]], &date(self.to));
        fields.push(match (s.period_in_group, s.attributes) {
            // The group's values in its attributes when the certificate's are (`<Period
            // ValidFrom="…" ValidTo="…"/>`).
            (true, true) => format!(
                "<{group} {from}=\"{f}\" {to}=\"{t}\"/>",
                group = PERIOD_GROUP[st[8]],
                from = FROM[st[3]],
                to = TO[st[4]],
                f = date(self.from),
                t = date(self.to)
            ),
            (true, false) => el(PERIOD_GROUP[st[8]], &period),
            _ => period,
        });
        if self.has_income {
            fields.push(el(INCOME[st[5]], self.income));
        }
        match s.cap {
            _ if !self.has_cap => {}
            0 => {}
            1 => fields.push(el(CAP[st[6]], self.cap[0].1)),
            _ => {
                let mut items: String = self.cap.iter().map(|(n, v)| el(n, v)).collect();
                if s.cap == 3 {
                    items += &el("Biko", "院外処方を含む");
                }
                fields.push(el(CAP[st[6]], &items));
            }
        }
        if s.type_id {
            // With the registration API's bookkeeping beside it.
            fields.push(el(TYPE_ID[st[7]], ["NANBYO01", "SHOMAN02"][self.index % 2]));
            fields.push(el("historyKey", &format!("H{}{:02}-{:03}", self.from.0, self.from.1, self.index + 1)));
            fields.push(el("isDeleted", "0"));
        }
        if s.issue_date {
            fields.push(el(ISSUE[st[7]], &date((self.from.0 - 1, self.from.1 + 11))));
        }
        if s.holder {
            fields.push(el(
                "basicFiveInfo",
                &(el("name", "見本　花子")
                    + &el("nameKana", "ミホン　ハナコ")
                    + &el("address", "東京都新宿区西新宿二丁目八番一号")
                    + &el("dateOfBirth", "2010-05-05")
                    + &el("sex", "2")),
            ));
        }
        if s.items {
            for (n, v) in [("交付日", "2024-03-01"), ("備考", "特記事項なし")] {
                fields.push(el("certificationDetail", &(el("itemName", n) + &el("itemValue", v))));
            }
        }
        let turn = (self.index * s.rotate) % fields.len();
        fields.rotate_left(turn);
        // A value alone (`<N>v</N>`, the cap's amount too) as the attribute `N="v"`.
        let attribute = |field: &String| {
            let (open, rest) = field.strip_prefix('<')?.split_once('>')?;
            let value = rest.strip_suffix(&format!("</{open}>"))?;
            (s.attributes && !value.contains('<')).then(|| format!(" {open}=\"{value}\""))
        };
        let attributes: String = fields.iter().filter_map(attribute).collect();
        let children: String = fields.iter().filter(|f| attribute(f).is_none()).map(String::as_str).collect();
        format!("<Cert{attributes}>{children}</Cert>")
    }

    /// What kohi should read: payer, recipient, from, to, name, income, cap.
    fn read(&self, s: &Shape) -> Vec<String> {
        let iso = |(y, m): (u32, u32)| format!("{}-{:02}-01", y + (m - 1) / 12, (m - 1) % 12 + 1);
        let cap = match s.cap {
            _ if !self.has_cap => "-".to_owned(),
            0 => "-".to_owned(),
            1 => self.cap[0].1.to_owned(),
            _ => {
                let mut items: Vec<String> = self.cap.iter().map(|(n, v)| format!("{n}={v}")).collect();
                if s.cap == 3 {
                    items.push("Biko=院外処方を含む".into());
                }
                items.join(" ")
            }
        };
        vec![
            self.payer.clone(),
            self.recipient.clone(),
            iso(self.from),
            iso(self.to),
            self.name.to_owned(),
            if self.has_income { self.income } else { "-" }.to_owned(),
            cap,
        ]
    }
}

/// What kohi read of each 公費, in the order of `Certificate::read`, sorted.
fn read_back(doc: &kohi::Document) -> Vec<Vec<String>> {
    let v = serde_json::to_value(&doc.patients[0].kohi).unwrap();
    let text = |x: &serde_json::Value| x.as_str().unwrap_or("-").to_owned();
    let mut all: Vec<Vec<String>> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let cap = &k["max_copayment"];
            let cap = match cap["items"].as_array() {
                Some(items) if !items.is_empty() => items
                    .iter()
                    .map(|i| format!("{}={}", text(&i["name"]), text(&i["value"])))
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => text(&cap["amount"]),
            };
            ["payer_number", "recipient_number", "valid_from", "valid_to", "certificate_name", "income_segment"]
                .iter()
                .map(|f| text(&k[*f]))
                .chain([cap])
                .collect()
        })
        .collect();
    all.sort();
    all
}

proptest! {
    #![proptest_config(common::properties(300))]

    /// Every plausible shape of a kind of certificate (two to four certificates of it), in XML or
    /// the Web API's JSON form: the proposed layout reads each 公費 as written, and nothing of the
    /// holder's own data.
    #[test]
    fn the_proposed_layout_reads_plausible_layouts_whole(
        s in shape(),
        count in 2..5usize,
        files in 1..3usize,
        json in any::<bool>(),
    ) {
        let certificates: Vec<Certificate> = (0..count).map(|i| Certificate::new(i, &s)).collect();
        // The certificates in one file or two (a folder surveyed at once), each file a patient's.
        let files: Vec<Vec<u8>> = (0..files)
            .map(|f| {
                let s = Shape { attributes: s.attributes && !(s.spelled_apart && f == 0), ..s.clone() };
                let xml: String = certificates.iter().filter(|c| c.index % files == f).map(|c| c.xml(&s)).collect();
                assert_eq!(s.attributes, xml.contains("<Cert "), "values in attributes as asked");
                let bytes = placed(&xml, s.placement);
                // The Web API's form of the same (surveyed and read as such).
                if json { json_form(std::str::from_utf8(&bytes).unwrap()).into_bytes() } else { bytes }
            })
            .collect();
        let surveyed = survey(files.iter().map(Vec::as_slice), &ParseOptions::default());
        // What the survey says holds no value of the files.
        let report = serde_json::to_string(&surveyed).unwrap();
        let values = certificates.iter().flat_map(|c| [c.payer.clone(), c.recipient.clone(), c.name.to_owned()]);
        for value in values.chain(["見本", "ミホン", "西新宿", "2010", "10000", "院外処方"].map(String::from)) {
            prop_assert!(!report.contains(&value), "{} in the survey's report: {:?}", value, s);
        }
        let layout = surveyed.layout.expect("a layout").to_string();
        let options = ParseOptions::default().with_layout_json(&layout).unwrap();
        // Surveyed again with the layout it proposed, the files have nothing left to propose.
        let again = survey(files.iter().map(Vec::as_slice), &options);
        let left: Vec<_> = again.proposals.iter().map(|p| (p.field, p.element.as_str())).collect();
        prop_assert!(left.is_empty(), "proposed again: {:?} for {:?} with {}", left, s, layout);
        let mut read = Vec::new();
        for bytes in &files {
            let doc = kohi::parse_with(bytes, &options).unwrap();
            read.extend(read_back(&doc));
            let kohi = serde_json::to_string(&doc.patients[0].kohi).unwrap();
            for personal in ["見本", "ミホン", "西新宿", "2010-05-05"] {
                prop_assert!(!kohi.contains(personal), "{} in a 公費: {:?} with {}", personal, s, layout);
            }
        }
        read.sort();
        let mut want: Vec<Vec<String>> = certificates.iter().map(|c| c.read(&s)).collect();
        want.sort();
        prop_assert_eq!(read, want, "{:?} with {}", s, layout);
    }
}
