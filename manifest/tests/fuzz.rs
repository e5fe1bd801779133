//! Arbitrary text never panics the manifest parser or validator.

use fireball_manifest::Manifest;
use proptest::prelude::*;

const SEED: &str = "[deployment]\nname = \"d\"\n[[service]]\nname = \"s\"\nmodule = \"m\"\nquota = 1\nroutes = [\"svc://s/{x}\"]\nreach = [{ route = \"log://\", methods = [\"write\"] }]\n";

proptest! {
    #[test]
    fn arbitrary_text_gives_a_result_not_a_panic(text in "\\PC{0,300}") {
        if let Ok(m) = Manifest::parse(&text) {
            let _ = m.validate(&["log://"], None);
        }
    }

    #[test]
    fn mutated_manifests_give_a_result_not_a_panic(
        cut in 0..SEED.len(),
        insert in "[\\[\\]{}=\",:/a-z0-9 \\n]{0,12}",
    ) {
        let mut text = SEED.to_string();
        if text.is_char_boundary(cut) {
            text.insert_str(cut, &insert);
        }
        if let Ok(m) = Manifest::parse(&text) {
            let _ = m.validate(&["log://"], None);
        }
    }
}

#[test]
fn the_seed_manifest_is_valid() {
    let m = Manifest::parse(SEED).unwrap();
    assert_eq!(m.validate(&["log://"], None), Ok(()));
}
