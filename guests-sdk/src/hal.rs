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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub::router;

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
