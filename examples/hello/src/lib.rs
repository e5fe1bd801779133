//! `hello` — the smallest Fireball guest: prints a greeting and a sum.
#![cfg_attr(target_arch = "wasm32", no_std)]

use fireball_guests_sdk::{entry, println};

entry!(main);

fn main() {
    println!("Hello from a Fireball guest!");
    let sum: u32 = (1..=10).sum();
    println!("sum(1..=10) = {sum}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn prints_greeting_and_sum_through_the_stub() {
        super::fb_main();
        assert_eq!(
            fireball_guests_sdk::stub::take_console(),
            "Hello from a Fireball guest!\nsum(1..=10) = 55\n"
        );
    }
}
