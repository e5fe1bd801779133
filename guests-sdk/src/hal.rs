//! Devices over the router (feature `alloc`): typed clients for the `hal` subsystem's
//! routes (`hal://adc/{channel}`, `hal://uart/{port}`, …).
//!
//! ```ignore
//! use fireball_guests_sdk::hal::{Adc, Uart};
//!
//! let sample = Adc::open(0)?.read()?;
//! Uart::open(0)?.write(b"ready\n")?;
//! ```
//!
//! Each `open` binds its route once and holds the binding (one of the module's
//! [`MAX_BINDINGS`](fireball_abi::limits::MAX_BINDINGS)) until the client is dropped; every
//! call then blocks the module until `hal` answers. The deployment's policy must let the
//! module reach the route (else [`Error::Denied`]); a device `hal` does not have fails with
//! [`Error::Failed(404)`](Error::Failed). GPIO and time stay builtins: see
//! [`device`](crate::device).
//!
//! | client | binds (numbers in decimal) | what it answers |
//! | --- | --- | --- |
//! | [`Adc::open(0)`](Adc::open) | `hal://adc/0` | [`AdcSample`]: `raw` in `0..2^bits`, `millivolts` scaled to the board's reference (3,300 mV on the simulated board) |
//! | [`Uart::open(1)`](Uart::open) | `hal://uart/1` | bytes taken / bytes received |
//! | [`Timer::open(0)`](Timer::open) | `hal://timer/0` | microseconds since boot |
//! | [`I2c::open(0, 0x44)`](I2c::open) | `hal://i2c/0/68` (the 7-bit address in decimal) | the device's bytes, as it sends them |
//! | [`Spi::open(0)`](Spi::open) | `hal://spi/0` | the bytes clocked in |
//! | [`Climate::open(0)`](Climate::open) | `hal://i2c/0/68` | temperature in [`CentiCelsius`], humidity in [`CentiPercent`] |
//!
//! The manifest's `reach` must name the route: `{ route = "hal://i2c/{bus}/{addr}", methods =
//! ["call"] }` for every device, or one concrete URI such as `hal://i2c/0/68`.
//!
//! # The simulated board's devices
//!
//! What `fireball run` serves (`fireball_subsystems::sim`), so a guest written on the host
//! meets the same bytes on the simulator every run:
//!
//! - `hal://adc/{0..3}`: 12-bit conversions (`raw` in `0..4096`, reference 3,300 mV) of
//!   deterministic waveforms on the virtual clock: channel 0 a sine 2048 ± 1000 over 2 s,
//!   channel 1 noise 1500 ± 300, channel 2 steps 500, 1500, 2500, 3500 of 250 ms each,
//!   channel 3 a sine 3000 ± 500 over 5 s.
//! - `hal://i2c/0/68`: a climate sensor (address `0x44`, [`Climate`]). Its registers:
//!
//!   | register | bytes | content |
//!   | --- | --- | --- |
//!   | `0x00` | 2 | temperature, centi-°C, `i16` big-endian |
//!   | `0x02` | 2 | relative humidity, centi-%, `u16` big-endian |
//!   | `0x0F` | 1 | identity, `0xBC` |
//!
//!   A write sets the register pointer; reads continue from it. Temperature swings
//!   22.50 °C ± 2.00 over 60 s of virtual time, humidity 45.00 % ± 5.00 over 90 s.
//! - `hal://timer/0`: the virtual clock.

use alloc::vec::Vec;

pub use fireball_record::system::hal::{
    AdcSample, Data, I2cTransfer, MAX_TRANSFER, ReadRequest, SpiTransfer, TimerNow, UartWrite,
    Written,
};

use crate::route::{Client, Error, Method};

/// One ADC channel (`hal://adc/{channel}`).
#[derive(Debug)]
pub struct Adc {
    client: Client,
}

impl Adc {
    /// Bind ADC channel `channel`.
    pub fn open(channel: u8) -> Result<Self, Error> {
        Client::bind_parts(&[&"hal://adc/", &channel]).map(|client| Self { client })
    }

    /// One conversion.
    pub fn read(&self) -> Result<AdcSample, Error> {
        self.client.read()
    }
}

/// One UART port (`hal://uart/{port}`).
#[derive(Debug)]
pub struct Uart {
    client: Client,
}

impl Uart {
    /// Bind UART `port`.
    pub fn open(port: u8) -> Result<Self, Error> {
        Client::bind_parts(&[&"hal://uart/", &port]).map(|client| Self { client })
    }

    /// Transmit `data`; the number of bytes the port took.
    pub fn write(&self, data: &[u8]) -> Result<u32, Error> {
        let written: Written = self.client.write(&UartWrite {
            data: data.to_vec(),
        })?;
        Ok(written.written)
    }

    /// Up to `max` received bytes (at most [`MAX_TRANSFER`]); empty when nothing waits.
    pub fn read(&self, max: u32) -> Result<Vec<u8>, Error> {
        let data: Data = self
            .client
            .call(Method::Read, &ReadRequest { max: Some(max) })?;
        Ok(data.data)
    }
}

/// One timer (`hal://timer/{timer}`).
#[derive(Debug)]
pub struct Timer {
    client: Client,
}

impl Timer {
    /// Bind timer `timer`.
    pub fn open(timer: u8) -> Result<Self, Error> {
        Client::bind_parts(&[&"hal://timer/", &timer]).map(|client| Self { client })
    }

    /// Microseconds since boot.
    pub fn now_us(&self) -> Result<u64, Error> {
        let now: TimerNow = self.client.read()?;
        Ok(now.now_us)
    }
}

/// One device on an I2C bus (`hal://i2c/{bus}/{addr}`).
#[derive(Debug)]
pub struct I2c {
    client: Client,
}

impl I2c {
    /// Bind the device at 7-bit address `addr` on bus `bus`.
    pub fn open(bus: u8, addr: u8) -> Result<Self, Error> {
        Client::bind_parts(&[&"hal://i2c/", &bus, &"/", &addr]).map(|client| Self { client })
    }

    /// Write `bytes` (a register pointer and data, a command).
    pub fn write(&self, bytes: &[u8]) -> Result<(), Error> {
        self.transfer(Method::Write, bytes, 0).map(drop)
    }

    /// Read `len` bytes (at most [`MAX_TRANSFER`]).
    pub fn read(&self, len: u32) -> Result<Vec<u8>, Error> {
        self.transfer(Method::Read, &[], len)
    }

    /// Write `bytes`, then read `len` bytes (a repeated start).
    pub fn write_read(&self, bytes: &[u8], len: u32) -> Result<Vec<u8>, Error> {
        self.transfer(Method::Call, bytes, len)
    }

    fn transfer(&self, method: Method, write: &[u8], read: u32) -> Result<Vec<u8>, Error> {
        let request = I2cTransfer {
            write: write.to_vec(),
            read,
        };
        let data: Data = self.client.call(method, &request)?;
        Ok(data.data)
    }
}

/// One SPI bus (`hal://spi/{bus}`).
#[derive(Debug)]
pub struct Spi {
    client: Client,
}

impl Spi {
    /// Bind SPI bus `bus`.
    pub fn open(bus: u8) -> Result<Self, Error> {
        Client::bind_parts(&[&"hal://spi/", &bus]).map(|client| Self { client })
    }

    /// Clock out `mosi`; what was clocked in.
    pub fn transfer(&self, mosi: &[u8]) -> Result<Vec<u8>, Error> {
        let data: Data = self.client.call(
            Method::Call,
            &SpiTransfer {
                data: mosi.to_vec(),
            },
        )?;
        Ok(data.data)
    }
}

/// A temperature in hundredths of a degree Celsius (`2250` is 22.50 °C).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CentiCelsius(pub i16);

impl CentiCelsius {
    /// Whole degrees, rounded towards zero.
    pub const fn degrees(self) -> i16 {
        self.0 / 100
    }
}

/// A relative humidity in hundredths of a percent (`4500` is 45.00 %).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CentiPercent(pub u16);

impl CentiPercent {
    /// Whole percent, rounded down.
    pub const fn percent(self) -> u16 {
        self.0 / 100
    }
}

/// The climate sensor at I2C address `0x44` (`hal://i2c/{bus}/68`): the simulated board's
/// (its register map is in this module's documentation); a board with such a sensor serves
/// the same registers.
#[derive(Debug)]
pub struct Climate {
    device: I2c,
}

impl Climate {
    /// The sensor's 7-bit address.
    pub const ADDRESS: u8 = 0x44;
    /// Register: temperature, `i16` big-endian, centi-°C.
    pub const TEMPERATURE: u8 = 0x00;
    /// Register: relative humidity, `u16` big-endian, centi-%.
    pub const HUMIDITY: u8 = 0x02;
    /// Register: identity.
    pub const WHO_AM_I: u8 = 0x0F;
    /// What [`WHO_AM_I`](Self::WHO_AM_I) reads.
    pub const ID: u8 = 0xBC;

    /// Bind the sensor on bus `bus` and check its identity: another device there is
    /// [`Error::BadReply`].
    pub fn open(bus: u8) -> Result<Self, Error> {
        let device = I2c::open(bus, Self::ADDRESS)?;
        match device.write_read(&[Self::WHO_AM_I], 1)?.as_slice() {
            [Self::ID] => Ok(Self { device }),
            _ => Err(Error::BadReply),
        }
    }

    /// The temperature now.
    pub fn temperature(&self) -> Result<CentiCelsius, Error> {
        self.register(Self::TEMPERATURE)
            .map(|b| CentiCelsius(i16::from_be_bytes(b)))
    }

    /// The relative humidity now.
    pub fn humidity(&self) -> Result<CentiPercent, Error> {
        self.register(Self::HUMIDITY)
            .map(|b| CentiPercent(u16::from_be_bytes(b)))
    }

    fn register(&self, register: u8) -> Result<[u8; 2], Error> {
        self.device
            .write_read(&[register], 2)?
            .as_slice()
            .try_into()
            .map_err(|_| Error::BadReply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub::router;

    #[test]
    fn the_climate_sensor_reads_in_units() {
        router::serve_typed("hal://i2c/0/68", |method, request: I2cTransfer| {
            assert_eq!(method, Method::Call);
            let data = match request.write.as_slice() {
                [Climate::WHO_AM_I] => vec![Climate::ID],
                [Climate::TEMPERATURE] => (-1234i16).to_be_bytes().to_vec(),
                [Climate::HUMIDITY] => 4567u16.to_be_bytes().to_vec(),
                _ => return Err(400),
            };
            assert_eq!(request.read as usize, data.len());
            Ok(Data { data })
        });
        let climate = Climate::open(0).unwrap();
        assert_eq!(climate.temperature(), Ok(CentiCelsius(-1234)));
        assert_eq!(climate.temperature().unwrap().degrees(), -12);
        assert_eq!(climate.humidity(), Ok(CentiPercent(4567)));
        assert_eq!(climate.humidity().unwrap().percent(), 45);
    }

    #[test]
    fn another_device_at_the_address_is_refused() {
        router::serve_typed("hal://i2c/1/68", |_, _: I2cTransfer| {
            Ok(Data { data: vec![0x12] })
        });
        assert_eq!(Climate::open(1).err(), Some(Error::BadReply));
        assert_eq!(Climate::open(2).err(), Some(Error::NoRoute));
    }

    #[test]
    fn adc_and_timer_read_typed_replies() {
        router::serve_typed("hal://adc/3", |method, (): ()| {
            assert_eq!(method, Method::Read);
            Ok(AdcSample {
                channel: 3,
                raw: 2048,
                bits: 12,
                millivolts: 1650,
            })
        });
        router::serve_typed("hal://timer/0", |_, (): ()| Ok(TimerNow { now_us: 1234 }));
        assert_eq!(Adc::open(3).unwrap().read().unwrap().millivolts, 1650);
        assert_eq!(Timer::open(0).unwrap().now_us(), Ok(1234));
        assert_eq!(Adc::open(4).err(), Some(Error::NoRoute));
    }

    #[test]
    fn uart_writes_and_reads_bytes() {
        router::serve_record("hal://uart/1", |method, body| {
            let reply = match method {
                Method::Write => {
                    let UartWrite { data } =
                        crate::codec::from_record(&body).map_err(|_| 400u16)?;
                    crate::codec::to_record(&Written {
                        written: data.len() as u32 - 1,
                    })
                }
                Method::Read => {
                    let ReadRequest { max } =
                        crate::codec::from_record(&body).map_err(|_| 400u16)?;
                    let data = b"pong".iter().take(max.unwrap() as usize).copied();
                    crate::codec::to_record(&Data {
                        data: data.collect(),
                    })
                }
                Method::Call | Method::Subscribe => return Err(405),
            };
            reply.map_err(|_| 500)
        });
        let uart = Uart::open(1).unwrap();
        assert_eq!(uart.write(b"ping"), Ok(3));
        assert_eq!(uart.read(2), Ok(b"po".to_vec()));
    }

    #[test]
    fn i2c_and_spi_send_transfers_with_the_method_asked() {
        let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let log = seen.clone();
        router::serve_typed("hal://i2c/0/68", move |method, t: I2cTransfer| {
            log.borrow_mut().push((method, t.write, t.read));
            Ok(Data {
                data: (0..t.read as u8).collect(),
            })
        });
        router::serve_typed("hal://spi/2", |_, t: SpiTransfer| {
            Ok(Data {
                data: t.data.iter().map(|b| !b).collect(),
            })
        });
        let sensor = I2c::open(0, 68).unwrap();
        sensor.write(&[1, 2]).unwrap();
        assert_eq!(sensor.read(3), Ok(vec![0, 1, 2]));
        assert_eq!(sensor.write_read(&[0xF3], 2), Ok(vec![0, 1]));
        assert_eq!(
            *seen.borrow(),
            [
                (Method::Write, vec![1, 2], 0),
                (Method::Read, vec![], 3),
                (Method::Call, vec![0xF3], 2),
            ]
        );
        assert_eq!(Spi::open(2).unwrap().transfer(&[0x0F]), Ok(vec![0xF0]));
    }
}
