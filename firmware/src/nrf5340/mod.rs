//! The nRF5340-DK's application core (Secure): what the `deploy` image runs on when built with
//! feature `nrf5340dk`.
//!
//! | what | where | module |
//! | --- | --- | --- |
//! | console (and the board's log lines without feature `defmt`; with it they go over RTT) | UARTE0, 115200 8N1, TX P0.20 / RX P0.22 (the DK's VCOM) | [`console`] |
//! | `Clock`, `hal://timer/0` | RTC0 at 32,768 Hz, its 24 bits extended to 64 | [`rtc`] |
//! | `hal://gpio/{0..8}` | LED1–4 on P0.28–P0.31, buttons 1–4 on P0.23, P0.24, P0.08, P0.09 | [`gpio`] |
//!
//! The drivers are `embassy-nrf`'s, used blocking: Fireball's cooperative kernel polls its
//! devices from one thread, so there is no `embassy-executor` and no `embassy-time`.
//! Not here yet: SAADC (`embassy-nrf`'s driver is async-only; a blocking read wants `nrf-pac`),
//! I2C, SPI, a second UART, and the radio, which belongs to the network core:
//! [`devices`] registers none of them, so requests to those routes are refused.

pub mod console;
pub mod gpio;
pub mod rtc;

use alloc::boxed::Box;

use fireball_subsystems::hal::{Device, DeviceRegistry};

/// The devices [`init`] set up that `hal` serves.
pub struct Board {
    /// The DK's LEDs and buttons.
    pub gpio: gpio::DkGpio,
}

/// Bring the chip up (`embassy_nrf::init`: clocks, DCDC), then the console and the RTC.
/// Call once, first thing in `main`.
pub fn init() -> Board {
    let p = embassy_nrf::init(embassy_nrf::config::Config::default());
    console::init(p.SERIAL0, p.P0_22, p.P0_20);
    rtc::init(p.RTC0);
    let gpio = gpio::DkGpio::new(
        [
            p.P0_28.into(),
            p.P0_29.into(),
            p.P0_30.into(),
            p.P0_31.into(),
        ],
        [
            p.P0_23.into(),
            p.P0_24.into(),
            p.P0_08.into(),
            p.P0_09.into(),
        ],
    );
    Board { gpio }
}

impl Board {
    /// The registry `hal` serves: GPIO 0 (the DK's LEDs and buttons) and timer 0 (RTC0).
    pub fn devices(self) -> DeviceRegistry {
        let mut registry = DeviceRegistry::new();
        // Two devices in a registry of sixteen: registration cannot fail.
        let _ = registry.register(0, Device::Gpio(Box::new(self.gpio)));
        let _ = registry.register(0, Device::Timer(Box::new(rtc::RtcClock)));
        registry
    }
}
