//! Every simulated device driven through the router by a native component:
//! GPIO, ADC, UART, the I2C climate sensor, SPI loopback and the timer.

use crate::subsystems_common;

use std::{cell::RefCell, rc::Rc};

use fireball_router::{CallError, Method, Record, Registration, from_record, to_record};
use fireball_subsystems::{
    hal_service::{
        AdcSample, Data, HalFailure, I2cTransfer, PinLevel, SetPin, SpiTransfer, TimerNow,
        UartWrite, Written,
    },
    sim::ClimateSensor,
};
use subsystems_common::rig;

type Log = Rc<RefCell<Vec<Result<Record, CallError>>>>;

#[test]
fn a_native_component_drives_every_device() {
    let mut rig = rig();
    rig.clock.advance(1_234);
    rig.uart.inject(b"ok");
    let mut app = rig.router.register(Registration::new("app", &[])).unwrap();
    let log: Log = Rc::default();
    let out = log.clone();
    rig.executor
        .spawn("app", async move {
            let calls: Vec<(&str, Method, Record)> = vec![
                (
                    "hal://gpio/3",
                    Method::Write,
                    to_record(&SetPin { high: true }).unwrap(),
                ),
                ("hal://gpio/3", Method::Read, Record::new()),
                ("hal://gpio/3", Method::Call, Record::new()),
                ("hal://adc/0", Method::Read, Record::new()),
                (
                    "hal://uart/0",
                    Method::Write,
                    to_record(&UartWrite {
                        data: b"hi".to_vec(),
                    })
                    .unwrap(),
                ),
                ("hal://uart/0", Method::Read, Record::new()),
                ("hal://uart/0", Method::Read, Record::new()),
                (
                    "hal://i2c/0/68",
                    Method::Call,
                    to_record(&I2cTransfer {
                        write: vec![ClimateSensor::WHO_AM_I],
                        read: 1,
                    })
                    .unwrap(),
                ),
                (
                    "hal://i2c/0/0x44",
                    Method::Call,
                    to_record(&I2cTransfer {
                        write: vec![ClimateSensor::TEMPERATURE],
                        read: 2,
                    })
                    .unwrap(),
                ),
                (
                    "hal://i2c/0/69",
                    Method::Call,
                    to_record(&I2cTransfer {
                        write: vec![0],
                        read: 1,
                    })
                    .unwrap(),
                ),
                (
                    "hal://spi/0",
                    Method::Call,
                    to_record(&SpiTransfer {
                        data: vec![1, 2, 3],
                    })
                    .unwrap(),
                ),
                ("hal://timer/0", Method::Read, Record::new()),
                ("hal://adc/7", Method::Read, Record::new()),
                (
                    "hal://spi/1",
                    Method::Call,
                    to_record(&SpiTransfer { data: vec![1] }).unwrap(),
                ),
            ];
            for (uri, method, body) in calls {
                let binding = app.bind(uri).unwrap();
                let reply = app.call(&binding, method, body).await;
                out.borrow_mut().push(reply);
            }
        })
        .unwrap();
    rig.executor.run_until_idle();
    let replies = log.borrow();
    assert_eq!(replies.len(), 14);
    let get = |i: usize| replies[i].as_ref().unwrap();
    assert_eq!(
        from_record::<PinLevel>(get(0)).unwrap(),
        PinLevel { pin: 3, high: true }
    );
    assert_eq!(
        from_record::<PinLevel>(get(1)).unwrap(),
        PinLevel { pin: 3, high: true }
    );
    assert_eq!(
        from_record::<PinLevel>(get(2)).unwrap(),
        PinLevel {
            pin: 3,
            high: false
        }
    );
    assert_eq!(
        from_record::<AdcSample>(get(3)).unwrap(),
        AdcSample {
            channel: 0,
            raw: 2048,
            bits: 12,
            millivolts: 1650
        }
    );
    assert_eq!(
        from_record::<Written>(get(4)).unwrap(),
        Written { written: 2 }
    );
    assert_eq!(rig.uart.transmitted(), b"hi");
    assert_eq!(from_record::<Data>(get(5)).unwrap().data, b"ok");
    assert_eq!(
        from_record::<Data>(get(6)).unwrap().data,
        b"",
        "nothing waiting"
    );
    assert_eq!(
        from_record::<Data>(get(7)).unwrap().data,
        [ClimateSensor::ID]
    );
    assert_eq!(
        from_record::<Data>(get(8)).unwrap().data,
        2250i16.to_be_bytes()
    );
    assert_eq!(replies[9], Err(CallError::Failed(HalFailure::Nack.code())));
    assert_eq!(from_record::<Data>(get(10)).unwrap().data, [1, 2, 3]);
    assert_eq!(
        from_record::<TimerNow>(get(11)).unwrap(),
        TimerNow { now_us: 1_234 }
    );
    assert_eq!(
        replies[12],
        Err(CallError::Failed(HalFailure::InvalidArgument.code()))
    );
    assert_eq!(
        replies[13],
        Err(CallError::Failed(HalFailure::NoDevice.code()))
    );
    // The GPIO history saw the write and the toggle, at the virtual time.
    let history = rig.gpio.history();
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|c| c.pin == 3 && c.at_us == 1_234));
}
