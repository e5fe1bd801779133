use alloc::{boxed::Box, rc::Rc};
use core::cell::RefCell;

use fireball_kernel::sched::Executor;
use fireball_router::{CallError, Method, Methods, RouterConfig};

use super::*;
use crate::hal::{Device, gpio::Gpio};
use crate::sim::{SimClock, SimGpio};

#[test]
fn requests_reach_the_devices_and_refusals_carry_their_code() {
    let (router, authority) = Router::new(RouterConfig::default());
    let gpio = SimGpio::new(SimClock::new(), 8, 0b0000_1111);
    let mut devices = DeviceRegistry::<4>::new();
    devices
        .register(0, Device::Gpio(Box::new(gpio.clone())))
        .unwrap();
    let hal = HalService::register(&router, devices, HalConfig::default()).unwrap();
    authority
        .allow("app", "hal://gpio/{pin}", Methods::READ | Methods::WRITE)
        .unwrap();
    let mut app = router.register(Registration::new("app", &[])).unwrap();
    let mut executor = Executor::with_capacity(2).unwrap();
    executor.spawn("hal", hal.run()).unwrap();
    let seen = Rc::new(RefCell::new(alloc::vec::Vec::new()));
    let out = seen.clone();
    executor
        .spawn("app", async move {
            let ignore = |r: Result<Record, CallError>| {
                r.map(|_| PinLevel {
                    pin: 0,
                    high: false,
                })
            };
            let pin = app.bind("hal://gpio/2").unwrap();
            let set = to_record(&SetPin { high: true }).unwrap();
            let reply = app.call(&pin, Method::Write, set).await.unwrap();
            out.borrow_mut()
                .push(Ok(from_record::<PinLevel>(&reply).unwrap()));
            let input = app.bind("hal://gpio/6").unwrap();
            let set = to_record(&SetPin { high: true }).unwrap();
            let refused = app.call(&input, Method::Write, set).await;
            out.borrow_mut().push(ignore(refused));
            let bad = Record::new().with("high", "yes");
            let refused = app.call(&pin, Method::Write, bad).await;
            out.borrow_mut().push(ignore(refused));
            let denied = app.call(&pin, Method::Call, Record::new()).await;
            out.borrow_mut().push(ignore(denied));
        })
        .unwrap();
    executor.run_until_idle();
    assert_eq!(
        *seen.borrow(),
        [
            Ok(PinLevel { pin: 2, high: true }),
            Err(CallError::Failed(HalFailure::PinMode.code())),
            Err(CallError::Failed(HalFailure::BadRequest.code())),
            Err(CallError::Denied),
        ]
    );
    assert_eq!(gpio.clone().is_high(2), Ok(true));
}

#[test]
fn failure_codes_are_distinct() {
    use HalFailure::*;
    let all = [
        BadRequest,
        NoDevice,
        MethodNotAllowed,
        PinMode,
        InvalidArgument,
        Bus,
        Nack,
    ];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a.code(), b.code(), "{a} / {b}");
        }
    }
}
