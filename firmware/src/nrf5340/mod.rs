//! The nRF5340-DK's application core (Secure): what the `deploy` image runs on when built with
//! feature `nrf5340dk`.
//!
//! | what | where | module |
//! | --- | --- | --- |
//! | console (and the board's log lines without feature `defmt`; with it they go over RTT) | UARTE0, 115200 8N1, TX P0.20 / RX P0.22 (the DK's VCOM) | [`console`] |
//! | `Clock`, `hal://timer/0` | RTC0 at 32,768 Hz, its 24 bits extended to 64 | [`rtc`] |
//! | `hal://gpio/{0..8}` | LED1–4 on P0.28–P0.31, buttons 1–4 on P0.23, P0.24, P0.08, P0.09 | [`gpio`] |
//! | ISR flags 4–7 | edges of buttons 1–4 (GPIOTE0 channels 0–3, both ways) | [`buttons`] |
//! | `hal://adc/{0..4}` | SAADC, AIN0–AIN3 on P0.04–P0.07 (Arduino A0–A3), 12 bits, 0–3.6 V | [`saadc`] |
//! | module store | NVMC over the top 256 KiB of flash (0x000C_0000..0x0010_0000): four 64 KiB slots | [`store`] |
//! | control port (feature `control-port`) or debugger port (feature `gdb`) | UARTE1, 115200 8N1, TX P1.01 / RX P1.00 (the DK's second VCOM; unverified) | `serial` |
//!
//! Drivers: `embassy-nrf`'s where they work blocking (UARTE, RTC, GPIO): Fireball's
//! cooperative kernel polls its devices from one thread, so there is no `embassy-executor`
//! and no `embassy-time`. Its SAADC driver only samples asynchronously and its GPIOTE driver
//! wakes futures from an interrupt handler it owns, so those two are `fireball-nrf5340`'s
//! logic (generic over register access, tested on the host against fakes) on `nrf-pac`'s
//! register blocks (`embassy_nrf::pac`). Nothing here has run on a board: no probe was
//! attached where it was written (docs/boards.md).
//!
//! The deployment's clock is held to RTC0 ([`run`], `fireball_deploy::pace`): virtual time
//! never runs ahead of it. The vSoC's GPIO builtins (`gpio_read`, `gpio_write`,
//! `gpio_toggle`) drive the DK's LEDs and buttons, the same pins `hal://gpio` serves
//! ([`Board::devices`] shares them: `SharedGpio`).
//!
//! Installed modules are kept in flash ([`store`]: a module installed over the control port
//! runs again after a reset). The debugger port (feature `gdb`) is UARTE1, as the control
//! port is (an image serves one or the other). Not here: I2C, SPI, `hal://uart`, and the
//! radio, which belongs to the network core (out of scope). [`Board::devices`] registers none of them, so `hal` serves no route for them:
//! `hal://radio/0` (or `hal://i2c/…`) answers the router's `NO_ROUTE`.

pub mod buttons;
pub mod console;
pub mod gpio;
pub mod rtc;
pub mod saadc;
#[cfg(any(feature = "control-port", feature = "gdb"))]
pub mod serial;
pub mod store;

use alloc::boxed::Box;

use fireball_deploy::{RunReport, System, Wall};
use fireball_subsystems::hal::{Device, DeviceRegistry, gpio::SharedGpio};

/// The devices [`init`] set up: what `hal` serves, the module store's flash and the control
/// port's UARTE.
pub struct Board {
    /// The DK's LEDs and buttons.
    pub gpio: gpio::DkGpio,
    /// The SAADC on AIN0–AIN3.
    pub adc: fireball_nrf5340::saadc::Saadc<saadc::SaadcRegs>,
    /// The module store's flash region (taken by the image for `RunOptions::store`).
    pub flash: Option<store::NvmcRegion>,
    /// UARTE1's peripherals, opened once the heap exists (taken by the control port).
    #[cfg(any(feature = "control-port", feature = "gdb"))]
    pub control: Option<serial::Peripherals>,
}

/// Bring the chip up (`embassy_nrf::init`: clocks, DCDC), then the console, the RTC, the LEDs
/// and buttons (their edges watched, raised once [`buttons::connect`] is called) and the
/// SAADC; the NVMC and (with a control port) UARTE1 are handed over unopened. Call once,
/// first thing in `main`.
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
    buttons::init();
    let adc = saadc::init(
        p.SAADC,
        [
            p.P0_04.into(),
            p.P0_05.into(),
            p.P0_06.into(),
            p.P0_07.into(),
        ],
    );
    Board {
        gpio,
        adc,
        flash: Some(store::NvmcRegion::new(p.NVMC)),
        #[cfg(any(feature = "control-port", feature = "gdb"))]
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
    /// The registry `hal` serves: GPIO 0 (the DK's LEDs and buttons), ADC 0 (the SAADC) and
    /// timer 0 (RTC0); and the LEDs and buttons again, shared with `hal`, for the guests'
    /// GPIO builtins (`RunOptions::gpio`). Call it once the heap exists.
    pub fn devices(self) -> (DeviceRegistry, SharedGpio<gpio::DkGpio>) {
        let pins = SharedGpio::new(self.gpio);
        let mut registry = DeviceRegistry::new();
        // Three devices in a registry of sixteen: registration cannot fail.
        let _ = registry.register(0, Device::Gpio(Box::new(pins.clone())));
        let _ = registry.register(0, Device::Adc(Box::new(self.adc)));
        let _ = registry.register(0, Device::Timer(Box::new(rtc::RtcClock)));
        (registry, pins)
    }
}

/// Run `system` to its end with its clock held to RTC0 ([`fireball_deploy::pace`]): the
/// deployment's time (`time_ticks`, `sleep_ticks`, call deadlines) goes no faster than RTC0,
/// so a guest sleeping a second sleeps a second. A wait polls RTC0 (the core does not sleep
/// yet) and ends early when a button's edge comes, so the guest waiting on it runs at once.
pub fn run(system: System) -> RunReport {
    let wall = Wall::start(rtc::RtcClock);
    system.run_paced(&mut |system, turn| {
        wall.hold(system, turn, u64::MAX, |until| {
            let seen = buttons::edges_seen();
            while wall.now() < until && buttons::edges_seen() == seen {}
        });
    })
}
