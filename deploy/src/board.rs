//! The host simulator's board: every device a deployment can reach through `hal://`, on one
//! virtual clock, deterministic from boot to exit.
//!
//! | device | route | model |
//! | --- | --- | --- |
//! | GPIO, 16 pins (0–7 outputs) | `hal://gpio/{pin}` and the GPIO builtins | [`SimGpio`], edges kept in a history |
//! | ADC, 12 bits, 4 channels | `hal://adc/{channel}` | ch 0 sine 2048 ± 1000 / 2 s, ch 1 noise 1500 ± 300 (seed 7), ch 2 steps, ch 3 sine 3000 ± 500 / 5 s |
//! | UART 0 | `hal://uart/0` | [`SimUart`]: what is written is kept |
//! | I2C bus 0 | `hal://i2c/0/{addr}` | a climate sensor at `0x44` |
//! | SPI bus 0 | `hal://spi/0` | loopback |
//! | timer 0 | `hal://timer/0` | the virtual clock |
//! | radio 0 | `hal://radio/0` | a node on a simulated 802.15.4-style medium shared with [`MESH_NODES`] remote nodes |
//!
//! Time is the [`SimClock`] in microseconds; the vSoC's `time_ticks` / `sleep_ticks` count
//! the same microseconds (one tick = 1 µs on the host).

use alloc::{boxed::Box, vec, vec::Vec};

use fireball_subsystems::{
    hal::{Device, DeviceRegistry, Radio},
    sim::{
        ClimateSensor, RadioMedium, SimAdc, SimClock, SimGpio, SimI2cBus, SimRadio, SimUart,
        SpiLoopback, Waveform,
    },
};

/// Remote nodes on the simulated radio medium besides the board's own radio.
pub const MESH_NODES: usize = 3;

/// Frames each node's receive queue holds before the medium drops (and counts) more.
const AIR_QUEUE: usize = 64;

/// What a remote mesh node heard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeLog {
    /// Frames received.
    pub frames: u64,
    /// Bytes received.
    pub bytes: u64,
}

/// The simulated board: its devices (until handed to `hal`) and the handles a deployment
/// keeps to look at them.
pub struct SimBoard {
    /// The virtual clock (µs).
    pub clock: SimClock,
    /// The GPIO bank (shared with the vSoC's GPIO builtins).
    pub gpio: SimGpio,
    /// UART 0.
    pub uart: SimUart,
    /// The remote mesh nodes.
    pub remotes: Vec<SimRadio>,
    /// The air they share with radio 0.
    pub air: RadioMedium,
    /// Frames the remote nodes heard so far, per node.
    pub heard: Vec<NodeLog>,
}

impl SimBoard {
    /// The board and a registry of its devices for `hal`.
    pub fn new() -> (Self, DeviceRegistry) {
        let clock = SimClock::new();
        let gpio = SimGpio::new(clock.clone(), 16, 0x00ff);
        let uart = SimUart::new();
        let adc = SimAdc::new(
            clock.clone(),
            12,
            &[
                Waveform::Sine {
                    offset: 2048,
                    amplitude: 1000,
                    period_us: 2_000_000,
                },
                Waveform::Noise {
                    base: 1500,
                    spread: 300,
                    seed: 7,
                },
                Waveform::Steps {
                    levels: [500, 1500, 2500, 3500],
                    dwell_us: 250_000,
                },
                Waveform::Sine {
                    offset: 3000,
                    amplitude: 500,
                    period_us: 5_000_000,
                },
            ],
        );
        let mut i2c = SimI2cBus::new();
        i2c.attach(
            ClimateSensor::ADDRESS,
            Box::new(ClimateSensor::new(clock.clone())),
        );
        let air = RadioMedium::new(AIR_QUEUE);
        let radio = air.join();
        let remotes: Vec<SimRadio> = (0..MESH_NODES).map(|_| air.join()).collect();

        let mut devices = DeviceRegistry::new();
        let registered = [
            devices.register(0, Device::Gpio(Box::new(gpio.clone()))),
            devices.register(0, Device::Adc(Box::new(adc))),
            devices.register(0, Device::Uart(Box::new(uart.clone()))),
            devices.register(0, Device::I2c(Box::new(i2c))),
            devices.register(0, Device::Spi(Box::new(SpiLoopback::new()))),
            devices.register(0, Device::Timer(Box::new(clock.clone()))),
            devices.register(0, Device::Radio(Box::new(radio))),
        ];
        // Seven devices in a registry of sixteen: a refusal here is a programming error.
        assert!(registered.iter().all(Result::is_ok), "board devices fit");
        let heard = vec![NodeLog::default(); MESH_NODES];
        (
            Self {
                clock,
                gpio,
                uart,
                remotes,
                air,
                heard,
            },
            devices,
        )
    }

    /// Every remote node announces itself once: frame `[0xA5, node]` (what a mesh gateway
    /// learns its neighbours from).
    pub fn announce_remotes(&mut self) {
        for remote in &mut self.remotes {
            let node = u8::try_from(remote.node()).unwrap_or(u8::MAX);
            // A two-byte frame always fits the medium.
            let _ = remote.transmit(&[0xA5, node]);
        }
    }

    /// Take what the remote nodes received since the last call into [`SimBoard::heard`].
    pub fn listen(&mut self) {
        let mut frame = [0u8; 256];
        for (remote, log) in self.remotes.iter_mut().zip(&mut self.heard) {
            while let Ok(Some(len)) = remote.receive(&mut frame) {
                log.frames += 1;
                log.bytes += len as u64;
            }
        }
    }
}
