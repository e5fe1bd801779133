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
        Timeout,
    ];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a.code(), b.code(), "{a} / {b}");
        }
    }
}

#[test]
fn a_kind_of_device_the_board_lacks_has_no_route() {
    // A board with GPIO and a clock but no radio (the nRF5340-DK's application core).
    let (router, authority) = Router::new(RouterConfig::default());
    let clock = SimClock::new();
    let mut devices = DeviceRegistry::<4>::new();
    devices
        .register(0, Device::Gpio(Box::new(SimGpio::new(clock.clone(), 8, 0))))
        .unwrap();
    devices.register(0, Device::Timer(Box::new(clock))).unwrap();
    assert_eq!(
        served_routes(&devices).as_slice(),
        ["hal://gpio/{pin}", "hal://timer/{timer}"]
    );
    let hal = HalService::register(&router, devices, HalConfig::default()).unwrap();
    authority
        .allow("app", "hal://radio/{radio}", Methods::READ)
        .unwrap();
    authority
        .allow("app", "hal://timer/{timer}", Methods::READ)
        .unwrap();
    let mut app = router.register(Registration::new("app", &[])).unwrap();
    let mut executor = Executor::with_capacity(2).unwrap();
    executor.spawn("hal", hal.run()).unwrap();
    let seen = Rc::new(RefCell::new(alloc::vec::Vec::new()));
    let out = seen.clone();
    executor
        .spawn("app", async move {
            // No radio: the router has no such route (a guest's `status::NO_ROUTE`).
            out.borrow_mut().push(app.bind("hal://radio/0").map(drop));
            // A timer the board does not have, of a kind it has: `hal`'s own refusal.
            let timer = app.bind("hal://timer/1").unwrap();
            let refused = app.call(&timer, Method::Read, Record::new()).await;
            out.borrow_mut().push(refused.map(drop));
        })
        .unwrap();
    executor.run_until_idle();
    assert_eq!(
        *seen.borrow(),
        [
            Err(CallError::NoRoute),
            Err(CallError::Failed(HalFailure::NoDevice.code())),
        ]
    );
}

#[test]
fn every_route_is_served_when_every_kind_is_there() {
    use crate::hal::{Adc, Clock, Radio};
    use crate::sim::{RadioMedium, SimAdc, SimI2cBus, SimUart, SpiLoopback, Waveform};
    let clock = SimClock::new();
    let adc: Box<dyn Adc> = Box::new(SimAdc::new(
        clock.clone(),
        12,
        &[Waveform::Constant { level: 1 }],
    ));
    let radio: Box<dyn Radio> = Box::new(RadioMedium::new(1).join());
    let timer: Box<dyn Clock> = Box::new(clock.clone());
    let mut devices = DeviceRegistry::<8>::new();
    for device in [
        Device::Radio(radio),
        Device::Timer(timer),
        Device::Spi(Box::new(SpiLoopback::new())),
        Device::I2c(Box::new(SimI2cBus::new())),
        Device::Uart(Box::new(SimUart::new())),
        Device::Adc(adc),
        Device::Gpio(Box::new(SimGpio::new(clock, 1, 0))),
    ] {
        devices.register(0, device).unwrap();
    }
    assert_eq!(served_routes(&devices).as_slice(), ROUTES);
}
