//! The `hal` subsystem: the platform's devices served over the router.
//!
//! One native component (`hal`), an async task on the kernel executor, owns the
//! [`DeviceRegistry`] and serves these routes (typed bodies in [`records`]):
//!
//! | route | method | request | reply |
//! | --- | --- | --- | --- |
//! | `hal://gpio/{pin}` | read | — | [`PinLevel`] |
//! | | write | [`SetPin`] | [`PinLevel`] |
//! | | call (toggle) | — | [`PinLevel`] |
//! | `hal://adc/{channel}` | read | — | [`AdcSample`] |
//! | `hal://uart/{port}` | write | [`UartWrite`] | [`Written`] |
//! | | read | [`ReadRequest`] | [`Data`] (empty when nothing waits) |
//! | `hal://i2c/{bus}/{addr}` | call / read / write | [`I2cTransfer`] | [`Data`] |
//! | `hal://spi/{bus}` | call | [`SpiTransfer`] | [`Data`] |
//! | `hal://timer/{timer}` | read | — | [`TimerNow`] |
//! | `hal://radio/{radio}` | write (transmit) | [`Frame`] | [`Written`] |
//! | | read (receive) | — | [`Data`] (the next frame; empty when none waits) |
//!
//! GPIO is bank 0 of the registry, ADC channels are ADC 0's; the other indices
//! are registry indices. Notifications (one-way) are executed like requests and
//! their outcome dropped. A refused request fails with a [`HalFailure`] code.
//! The GPIO hot path stays the vSoC's builtin: give both the same bank
//! ([`SimGpio`](crate::sim::SimGpio) clones share their pins).

/// The typed bodies (defined in `fireball-record`, shared with the SDKs).
pub use fireball_record::system::hal as records;

use alloc::vec;
use core::fmt;

use fireball_router::{
    Delivery, Endpoint, Envelope, Method, Record, RegisterError, Registration, Request, Router,
    from_record, to_record,
};
use serde::{Deserialize, Serialize};

use crate::hal::{DeviceKind, DeviceRegistry, HalError, gpio::GpioError, gpio::PinState, registry};
pub use records::*;

/// Every route the `hal` component can serve: one per kind of device.
pub const ROUTES: &[&str] = &[
    "hal://gpio/{pin}",
    "hal://adc/{channel}",
    "hal://uart/{port}",
    "hal://i2c/{bus}/{addr}",
    "hal://spi/{bus}",
    "hal://timer/{timer}",
    "hal://radio/{radio}",
];

/// The kind of device each of [`ROUTES`] reaches, in the same order.
const ROUTE_KINDS: [DeviceKind; 7] = [
    DeviceKind::Gpio,
    DeviceKind::Adc,
    DeviceKind::Uart,
    DeviceKind::I2c,
    DeviceKind::Spi,
    DeviceKind::Timer,
    DeviceKind::Radio,
];

/// The routes `hal` registers for `devices`: those of the kinds of device the board has, in
/// [`ROUTES`]' order. A kind the board has none of has no route, so a request for it gets
/// the router's `NO_ROUTE` (the nRF5340-DK's radio belongs to the network core); an index the
/// board does not have of a kind it has gets [`HalFailure::NoDevice`].
pub fn served_routes<const N: usize>(
    devices: &DeviceRegistry<N>,
) -> heapless::Vec<&'static str, { ROUTE_KINDS.len() }> {
    ROUTES
        .iter()
        .zip(ROUTE_KINDS)
        .filter(|(_, kind)| devices.ids().any(|id| id.kind == *kind))
        .map(|(route, _)| *route)
        .collect()
}

/// How the `hal` component is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HalConfig {
    /// Its component name (policies name it as the routes' owner).
    pub name: &'static str,
    /// Its inbox capacity.
    pub inbox: usize,
    /// The ADC reference voltage (full scale), in millivolts, for a converter that does not
    /// know its own ([`Adc::full_scale_mv`](crate::hal::Adc::full_scale_mv)).
    pub adc_reference_mv: u32,
}

impl Default for HalConfig {
    fn default() -> Self {
        Self {
            name: "hal",
            inbox: 8,
            adc_reference_mv: 3300,
        }
    }
}

/// Why the `hal` subsystem refused a request; the code is what the caller's
/// `CallError::Failed(code)` carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HalFailure {
    /// The body or a URI parameter does not fit the route (the caller's fault).
    BadRequest,
    /// No device, channel or pin by that number.
    NoDevice,
    /// The route does not support that method.
    MethodNotAllowed,
    /// The pin cannot be used that way (driving an input).
    PinMode,
    /// An argument is out of range for the device (a register, a length).
    InvalidArgument,
    /// The bus device did not acknowledge.
    Nack,
    /// The device or bus reported a fault.
    Bus,
    /// The device did not answer in the time its driver allows.
    Timeout,
}

impl HalFailure {
    /// The failure code sent to the caller.
    pub const fn code(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::NoDevice => 404,
            Self::MethodNotAllowed => 405,
            Self::PinMode => 409,
            Self::InvalidArgument => 422,
            Self::Bus => 500,
            Self::Nack => 502,
            Self::Timeout => 504,
        }
    }
}

impl fmt::Display for HalFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?} ({})", self.code())
    }
}

impl From<HalError> for HalFailure {
    fn from(e: HalError) -> Self {
        match e {
            HalError::NoDevice => Self::NoDevice,
            HalError::InvalidArgument | HalError::WouldBlock => Self::InvalidArgument,
            HalError::Nack => Self::Nack,
            HalError::Bus => Self::Bus,
            HalError::Timeout => Self::Timeout,
        }
    }
}

impl From<GpioError> for HalFailure {
    fn from(e: GpioError) -> Self {
        match e {
            GpioError::NoSuchPin => Self::NoDevice,
            GpioError::NotOutput => Self::PinMode,
        }
    }
}

/// The `hal` component: its endpoint and the devices it serves.
pub struct HalService<const N: usize = { registry::DEFAULT_DEVICES }> {
    endpoint: Endpoint,
    devices: DeviceRegistry<N>,
    config: HalConfig,
}

type Served = Result<Record, HalFailure>;

fn decode<'a, T: Deserialize<'a>>(body: &'a Record) -> Result<T, HalFailure> {
    from_record(body).map_err(|_| HalFailure::BadRequest)
}

fn encode<T: Serialize>(value: &T) -> Served {
    to_record(value).map_err(|_| HalFailure::Bus)
}

fn param<T: core::str::FromStr>(envelope: &Envelope, name: &str) -> Result<T, HalFailure> {
    let text = envelope.params().get(name).ok_or(HalFailure::BadRequest)?;
    text.parse().map_err(|_| HalFailure::BadRequest)
}

/// An I2C address: decimal (`68`) or hex (`0x44`), 7 bits.
fn address(envelope: &Envelope) -> Result<u8, HalFailure> {
    let text = envelope
        .params()
        .get("addr")
        .ok_or(HalFailure::BadRequest)?;
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u8::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed
        .ok()
        .filter(|a| *a < 0x80)
        .ok_or(HalFailure::BadRequest)
}

fn limit(len: u32) -> Result<usize, HalFailure> {
    let len = usize::try_from(len).map_err(|_| HalFailure::InvalidArgument)?;
    if len > MAX_TRANSFER {
        return Err(HalFailure::InvalidArgument);
    }
    Ok(len)
}

impl<const N: usize> HalService<N> {
    /// Register the `hal` component with `router`, serving `devices` on their routes
    /// ([`served_routes`]).
    pub fn register(
        router: &Router,
        devices: DeviceRegistry<N>,
        config: HalConfig,
    ) -> Result<Self, RegisterError> {
        let routes = served_routes(&devices);
        let endpoint =
            router.register(Registration::new(config.name, &routes).inbox(config.inbox))?;
        Ok(Self {
            endpoint,
            devices,
            config,
        })
    }

    /// The devices served (a platform may reach them between requests).
    pub fn devices(&mut self) -> &mut DeviceRegistry<N> {
        &mut self.devices
    }

    /// Serve until the router closes the inbox (the component is dropped or restarted).
    pub async fn run(mut self) {
        while let Some(delivery) = self.endpoint.recv().await {
            self.accept(delivery);
        }
    }

    /// Serve every delivery waiting now, without waiting; returns how many.
    pub fn serve_ready(&mut self) -> usize {
        let mut served = 0;
        while let Ok(delivery) = self.endpoint.try_recv() {
            self.accept(delivery);
            served += 1;
        }
        served
    }

    fn accept(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::Request(request) => self.serve(request),
            Delivery::Notification(note) => {
                // One-way: the sender asked for no answer, so failures go unreported.
                let _ = self.answer(note.envelope(), note.body());
            }
            // `hal` subscribes to nothing.
            Delivery::Publication(_) => {}
        }
    }

    fn serve(&mut self, request: Request) {
        // A caller that gave up is not an error of ours.
        let _ = match self.answer(request.envelope(), request.body()) {
            Ok(reply) => request.reply(reply),
            Err(failure) => request.fail(failure.code()),
        };
    }

    /// Answer one request (`envelope` says the route, parameters and method).
    pub fn answer(&mut self, envelope: &Envelope, body: &Record) -> Served {
        let uri = envelope.uri();
        let device = uri
            .strip_prefix("hal://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default();
        let method = envelope.method();
        match device {
            "gpio" => self.gpio(param(envelope, "pin")?, method, body),
            "adc" => self.adc(param(envelope, "channel")?, method),
            "uart" => self.uart(param(envelope, "port")?, method, body),
            "i2c" => self.i2c(param(envelope, "bus")?, address(envelope)?, method, body),
            "spi" => self.spi(param(envelope, "bus")?, method, body),
            "timer" => self.timer(param(envelope, "timer")?, method),
            "radio" => self.radio(param(envelope, "radio")?, method, body),
            _ => Err(HalFailure::NoDevice),
        }
    }

    fn gpio(&mut self, pin: u32, method: Method, body: &Record) -> Served {
        let gpio = self.devices.gpio(0)?;
        let high = match method {
            Method::Read => gpio.is_high(pin)?,
            Method::Write => {
                let SetPin { high } = decode(body)?;
                gpio.set_state(pin, PinState::from(high))?;
                high
            }
            Method::Call => gpio.toggle(pin)?,
            Method::Subscribe => return Err(HalFailure::MethodNotAllowed),
        };
        encode(&PinLevel { pin, high })
    }

    fn adc(&mut self, channel: u8, method: Method) -> Served {
        if method != Method::Read {
            return Err(HalFailure::MethodNotAllowed);
        }
        let adc = self.devices.adc(0)?;
        let bits = adc.resolution_bits().clamp(1, 16);
        let reference_mv = adc.full_scale_mv().unwrap_or(self.config.adc_reference_mv);
        let raw = adc.read(channel)?;
        let full_scale = (1u64 << bits) - 1;
        let millivolts = u64::from(raw) * u64::from(reference_mv) / full_scale;
        encode(&AdcSample {
            channel,
            raw,
            bits,
            millivolts: u32::try_from(millivolts).unwrap_or(u32::MAX),
        })
    }

    fn uart(&mut self, port: u8, method: Method, body: &Record) -> Served {
        let uart = self.devices.uart(port)?;
        match method {
            Method::Write => {
                let UartWrite { data } = decode(body)?;
                let written = uart.write(&data)?;
                encode(&Written {
                    written: u32::try_from(written).unwrap_or(u32::MAX),
                })
            }
            Method::Read => {
                let ReadRequest { max } = decode(body)?;
                let len = limit(max.unwrap_or(MAX_TRANSFER as u32))?;
                let mut data = vec![0; len];
                let got = match uart.read(&mut data) {
                    Ok(n) => n,
                    Err(HalError::WouldBlock) => 0,
                    Err(e) => return Err(e.into()),
                };
                data.truncate(got);
                encode(&Data { data })
            }
            Method::Call | Method::Subscribe => Err(HalFailure::MethodNotAllowed),
        }
    }

    fn i2c(&mut self, bus: u8, addr: u8, method: Method, body: &Record) -> Served {
        let I2cTransfer { write, read } = decode(body)?;
        let mut data = vec![0; limit(read)?];
        let i2c = self.devices.i2c(bus)?;
        match method {
            Method::Write if data.is_empty() => i2c.write(addr, &write)?,
            Method::Read if write.is_empty() => i2c.read(addr, &mut data)?,
            Method::Call if data.is_empty() => i2c.write(addr, &write)?,
            Method::Call if write.is_empty() => i2c.read(addr, &mut data)?,
            Method::Call => i2c.write_read(addr, &write, &mut data)?,
            Method::Read | Method::Write => return Err(HalFailure::BadRequest),
            Method::Subscribe => return Err(HalFailure::MethodNotAllowed),
        }
        encode(&Data { data })
    }

    fn spi(&mut self, bus: u8, method: Method, body: &Record) -> Served {
        if method != Method::Call {
            return Err(HalFailure::MethodNotAllowed);
        }
        let SpiTransfer { mut data } = decode(body)?;
        limit(u32::try_from(data.len()).unwrap_or(u32::MAX))?;
        self.devices.spi(bus)?.transfer_in_place(&mut data)?;
        encode(&Data { data })
    }

    fn radio(&mut self, index: u8, method: Method, body: &Record) -> Served {
        let radio = self.devices.radio(index)?;
        match method {
            Method::Write => {
                let Frame { data } = decode(body)?;
                if data.is_empty() || data.len() > radio.max_frame() {
                    return Err(HalFailure::InvalidArgument);
                }
                radio.transmit(&data)?;
                encode(&Written {
                    written: u32::try_from(data.len()).unwrap_or(u32::MAX),
                })
            }
            Method::Read => {
                let mut data = vec![0; radio.max_frame()];
                let got = radio.receive(&mut data)?.unwrap_or(0);
                data.truncate(got);
                encode(&Data { data })
            }
            Method::Call | Method::Subscribe => Err(HalFailure::MethodNotAllowed),
        }
    }

    fn timer(&mut self, timer: u8, method: Method) -> Served {
        if method != Method::Read {
            return Err(HalFailure::MethodNotAllowed);
        }
        let now_us = self.devices.timer(timer)?.now_us();
        encode(&TimerNow { now_us })
    }
}

#[cfg(test)]
mod tests;
