//! The nRF5340-DK's application core (Secure): what the `deploy` image runs on when built with
//! feature `nrf5340dk`.
//!
//! | what | where | module |
//! | --- | --- | --- |
//! | console, status lines | UARTE0, 115200 8N1, TX P0.20 / RX P0.22 (the DK's VCOM) | [`console`] |
//! | `Clock`, `hal://timer/0` | RTC0 at 32,768 Hz, its 24 bits extended to 64 | [`rtc`] |
//! | `hal://gpio/{0..8}` | LED1–4 on P0.28–P0.31, buttons 1–4 on P0.23, P0.24, P0.08, P0.09 | [`gpio`] |
//! | module store | NVMC over the top 256 KiB of flash (0x000C_0000..0x0010_0000): four 64 KiB slots | [`store`] |
//! | control port (feature `control-port`) | UARTE1, 115200 8N1, TX P1.01 / RX P1.00 (the DK's second VCOM; unverified) | `serial` |
//!
//! The drivers are `embassy-nrf`'s, used blocking: Fireball's cooperative kernel polls its
//! devices from one thread, so there is no `embassy-executor` and no `embassy-time`.
//! Not here yet: SAADC (`embassy-nrf`'s driver is async-only; a blocking read wants `nrf-pac`),
//! I2C, SPI, `hal://uart`, the debugger port, and the radio, which belongs to the network core:
//! [`devices`] registers none of them, so requests to those routes are refused.

pub mod console;
pub mod gpio;
pub mod rtc;
#[cfg(feature = "control-port")]
pub mod serial;
pub mod store;

use alloc::boxed::Box;

use fireball_subsystems::hal::{Device, DeviceRegistry};

/// The devices [`init`] set up: what `hal` serves, the module store's flash and the control
/// port's UARTE.
pub struct Board {
    /// The DK's LEDs and buttons.
    pub gpio: gpio::DkGpio,
    /// The module store's flash region (taken by the image for `RunOptions::store`).
    pub flash: Option<store::NvmcRegion>,
    /// UARTE1's peripherals, opened once the heap exists (taken by the control port).
    #[cfg(feature = "control-port")]
    pub control: Option<serial::Peripherals>,
}

/// Bring the chip up (`embassy_nrf::init`: clocks, DCDC), then the console and the RTC; the
/// NVMC and (with a control port) UARTE1 are handed over unopened.
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
    Board {
        gpio,
        flash: Some(store::NvmcRegion::new(p.NVMC)),
        #[cfg(feature = "control-port")]
        control: Some(serial::Peripherals {
            serial: p.SERIAL1,
            timer: p.TIMER0,
            ppi_ch1: p.PPI_CH0,
            ppi_ch2: p.PPI_CH1,
            ppi_group: p.PPI_GROUP0,
            rx: p.P1_00,
            tx: p.P1_01,
        }),
    }
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
