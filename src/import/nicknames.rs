//! Short forms of first names (Bob for Robert, Liz for Elizabeth), both ways: two first
//! names are forms of one name when they share a full form. A short form may stand for
//! several full names (Alex: Alexander or Alexandra), so a name has a set of full forms.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

/// (short form, full form), folded as `search_key` folds names. A short form listed with
/// several full forms stands for each of them.
const NICKNAMES: &[(&str, &str)] = &[
    ("abby", "abigail"),
    ("abe", "abraham"),
    ("al", "albert"),
    ("al", "alfred"),
    ("al", "alan"),
    ("alex", "alexander"),
    ("alex", "alexandra"),
    ("alexa", "alexandra"),
    ("ali", "alison"),
    ("allie", "alison"),
    ("andy", "andrew"),
    ("drew", "andrew"),
    ("angie", "angela"),
    ("annie", "ann"),
    ("annie", "anne"),
    ("annie", "anna"),
    ("ant", "anthony"),
    ("tony", "anthony"),
    ("art", "arthur"),
    ("barb", "barbara"),
    ("barbie", "barbara"),
    ("becky", "rebecca"),
    ("becca", "rebecca"),
    ("ben", "benjamin"),
    ("benny", "benjamin"),
    ("bernie", "bernard"),
    ("beth", "elizabeth"),
    ("betty", "elizabeth"),
    ("betsy", "elizabeth"),
    ("eliza", "elizabeth"),
    ("liz", "elizabeth"),
    ("lizzie", "elizabeth"),
    ("libby", "elizabeth"),
    ("bill", "william"),
    ("billy", "william"),
    ("will", "william"),
    ("willy", "william"),
    ("liam", "william"),
    ("bob", "robert"),
    ("bobby", "robert"),
    ("rob", "robert"),
    ("robbie", "robert"),
    ("bert", "robert"),
    ("brad", "bradley"),
    ("cam", "cameron"),
    ("cathy", "catherine"),
    ("cathy", "katherine"),
    ("cat", "catherine"),
    ("kate", "katherine"),
    ("kate", "catherine"),
    ("katie", "katherine"),
    ("katie", "catherine"),
    ("kathy", "katherine"),
    ("kat", "katherine"),
    ("kitty", "katherine"),
    ("charlie", "charles"),
    ("chuck", "charles"),
    ("chaz", "charles"),
    ("chris", "christopher"),
    ("chris", "christina"),
    ("chris", "christine"),
    ("kit", "christopher"),
    ("christy", "christina"),
    ("tina", "christina"),
    ("cindy", "cynthia"),
    ("cindy", "lucinda"),
    ("cliff", "clifford"),
    ("connie", "constance"),
    ("dan", "daniel"),
    ("danny", "daniel"),
    ("dani", "danielle"),
    ("dave", "david"),
    ("davy", "david"),
    ("deb", "deborah"),
    ("debbie", "deborah"),
    ("debby", "deborah"),
    ("dick", "richard"),
    ("rich", "richard"),
    ("richie", "richard"),
    ("rick", "richard"),
    ("ricky", "richard"),
    ("don", "donald"),
    ("donny", "donald"),
    ("doug", "douglas"),
    ("ed", "edward"),
    ("eddie", "edward"),
    ("ned", "edward"),
    ("ted", "edward"),
    ("ted", "theodore"),
    ("teddy", "theodore"),
    ("theo", "theodore"),
    ("ellie", "eleanor"),
    ("ellie", "ellen"),
    ("nell", "eleanor"),
    ("em", "emily"),
    ("emmy", "emily"),
    ("fran", "frances"),
    ("fran", "francis"),
    ("frank", "francis"),
    ("frankie", "frances"),
    ("fred", "frederick"),
    ("freddie", "frederick"),
    ("gabe", "gabriel"),
    ("gabby", "gabrielle"),
    ("gene", "eugene"),
    ("geoff", "geoffrey"),
    ("jeff", "jeffrey"),
    ("gerry", "gerald"),
    ("jerry", "gerald"),
    ("greg", "gregory"),
    ("hank", "henry"),
    ("harry", "henry"),
    ("hal", "henry"),
    ("herb", "herbert"),
    ("izzy", "isabel"),
    ("izzy", "isabella"),
    ("bella", "isabella"),
    ("jack", "john"),
    ("johnny", "john"),
    ("jon", "john"),
    ("jackie", "jacqueline"),
    ("jake", "jacob"),
    ("jim", "james"),
    ("jimmy", "james"),
    ("jamie", "james"),
    ("jan", "janet"),
    ("jen", "jennifer"),
    ("jenn", "jennifer"),
    ("jenny", "jennifer"),
    ("jess", "jessica"),
    ("jessie", "jessica"),
    ("jo", "joanne"),
    ("jo", "josephine"),
    ("joe", "joseph"),
    ("joey", "joseph"),
    ("josh", "joshua"),
    ("judy", "judith"),
    ("julie", "julia"),
    ("ken", "kenneth"),
    ("kenny", "kenneth"),
    ("kim", "kimberly"),
    ("larry", "lawrence"),
    ("len", "leonard"),
    ("lenny", "leonard"),
    ("leo", "leonard"),
    ("lou", "louis"),
    ("lucy", "lucille"),
    ("maddie", "madeline"),
    ("maddy", "madison"),
    ("maggie", "margaret"),
    ("meg", "margaret"),
    ("peggy", "margaret"),
    ("marge", "margaret"),
    ("margie", "margaret"),
    ("mandy", "amanda"),
    ("manny", "emmanuel"),
    ("matt", "matthew"),
    ("matty", "matthew"),
    ("max", "maxwell"),
    ("max", "maximilian"),
    ("mel", "melissa"),
    ("mel", "melanie"),
    ("mick", "michael"),
    ("mickey", "michael"),
    ("mike", "michael"),
    ("mikey", "michael"),
    ("mitch", "mitchell"),
    ("molly", "mary"),
    ("polly", "mary"),
    ("nan", "nancy"),
    ("nate", "nathan"),
    ("nate", "nathaniel"),
    ("nat", "natalie"),
    ("nick", "nicholas"),
    ("nicky", "nicholas"),
    ("nikki", "nicole"),
    ("ollie", "oliver"),
    ("pam", "pamela"),
    ("pat", "patricia"),
    ("pat", "patrick"),
    ("patty", "patricia"),
    ("trish", "patricia"),
    ("pete", "peter"),
    ("phil", "phillip"),
    ("phil", "philip"),
    ("ray", "raymond"),
    ("reg", "reginald"),
    ("ron", "ronald"),
    ("ronnie", "ronald"),
    ("rosie", "rose"),
    ("rosie", "rosemary"),
    ("russ", "russell"),
    ("sam", "samuel"),
    ("sam", "samantha"),
    ("sammy", "samuel"),
    ("sandy", "sandra"),
    ("sandy", "alexandra"),
    ("steph", "stephanie"),
    ("steve", "steven"),
    ("steve", "stephen"),
    ("stevie", "steven"),
    ("stu", "stuart"),
    ("sue", "susan"),
    ("susie", "susan"),
    ("suzy", "susan"),
    ("terry", "terrence"),
    ("terry", "teresa"),
    ("tess", "teresa"),
    ("tim", "timothy"),
    ("timmy", "timothy"),
    ("tom", "thomas"),
    ("tommy", "thomas"),
    ("tori", "victoria"),
    ("vicky", "victoria"),
    ("val", "valerie"),
    ("vince", "vincent"),
    ("walt", "walter"),
    ("wally", "walter"),
    ("zach", "zachary"),
    ("zack", "zachary"),
];

/// The table by short form, built once.
fn by_short() -> &'static FxHashMap<&'static str, Vec<&'static str>> {
    static TABLE: OnceLock<FxHashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: FxHashMap<&str, Vec<&str>> = FxHashMap::default();
        for (short, full) in NICKNAMES {
            t.entry(short).or_default().push(full);
        }
        t
    })
}

/// The full forms `first` (folded) can stand for: itself when it is a full form or no
/// known short form, or every full form of a short one.
pub fn full_forms(first: &str) -> impl Iterator<Item = &str> + '_ {
    let listed: &[&str] = by_short().get(first).map_or(&[], Vec::as_slice);
    let own = listed.is_empty().then_some(first);
    own.into_iter().chain(listed.iter().copied())
}

/// Every first name that is a form of the same name as `first` (folded), itself
/// included: Bob gives bob, robert, rob, bobby, robbie, bert.
pub fn all_forms(first: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![first.to_string()];
    for full in full_forms(first) {
        if !out.iter().any(|n| n == full) {
            out.push(full.to_string());
        }
        for (short, _) in NICKNAMES.iter().filter(|(_, f)| *f == full) {
            if !out.iter().any(|n| n == short) {
                out.push(short.to_string());
            }
        }
    }
    out
}

/// How two folded first names relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forms {
    Same,
    /// `a` is a short form of `b`.
    ShortOf,
    /// `b` is a short form of `a`.
    FullOf,
    /// Both short forms of one full name (Bob and Rob).
    Both,
    Unrelated,
}

pub fn forms(a: &str, b: &str) -> Forms {
    if a == b {
        return Forms::Same;
    }
    if !full_forms(a).any(|fa| full_forms(b).any(|fb| fa == fb)) {
        return Forms::Unrelated;
    }
    match (full_forms(a).any(|f| f == b), full_forms(b).any(|f| f == a)) {
        (true, _) => Forms::ShortOf,
        (_, true) => Forms::FullOf,
        _ => Forms::Both,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_work_both_ways_and_may_stand_for_several_names() {
        assert_eq!(forms("bob", "robert"), Forms::ShortOf);
        assert_eq!(forms("robert", "bob"), Forms::FullOf);
        assert_eq!(forms("bob", "rob"), Forms::Both);
        assert_eq!(forms("liz", "elizabeth"), Forms::ShortOf);
        assert_eq!(forms("kate", "katherine"), Forms::ShortOf);
        assert_eq!(forms("kate", "catherine"), Forms::ShortOf);
        assert_eq!(forms("alex", "alexandra"), Forms::ShortOf);
        assert_eq!(forms("alex", "alexander"), Forms::ShortOf);
        assert_eq!(forms("alexander", "alexandra"), Forms::Unrelated);
        assert_eq!(forms("grace", "gregory"), Forms::Unrelated);
        assert_eq!(forms("ada", "ada"), Forms::Same);
        assert_eq!(full_forms("ada").collect::<Vec<_>>(), ["ada"]);
        assert_eq!(full_forms("robert").collect::<Vec<_>>(), ["robert"]);
        assert_eq!(
            full_forms("sam").collect::<Vec<_>>(),
            ["samuel", "samantha"]
        );
    }

    #[test]
    fn the_table_is_folded_and_never_maps_a_name_to_itself() {
        for (short, full) in NICKNAMES {
            assert_ne!(short, full);
            for s in [short, full] {
                assert_eq!(crate::domain::search_key::search_key(s), *s);
            }
            // A full form is never also a short form: one step from short to full.
            assert!(
                !NICKNAMES.iter().any(|(s, _)| s == full),
                "{full} is both short and full"
            );
        }
    }
}
