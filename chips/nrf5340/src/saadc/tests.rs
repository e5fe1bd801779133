use alloc::{boxed::Box, rc::Rc, vec::Vec};
use core::cell::RefCell;

use fireball_kernel::sched::Executor;
use fireball_router::{
    CallError, Method, Methods, Record, Registration, Router, RouterConfig, from_record,
};
use fireball_subsystems::{
    hal::{Adc, Device, DeviceRegistry, HalError},
    hal_service::{AdcSample, HalConfig, HalFailure, HalService},
};

use super::fake::FakeSaadc;
use super::*;

/// The DK's four: `hal://adc/0..4` on `AIN0`–`AIN3`.
const INPUTS: &[AnalogInput] = &[AIN[0], AIN[1], AIN[2], AIN[3]];

fn saadc() -> (Saadc<FakeSaadc>, FakeSaadc) {
    let fake = FakeSaadc::new();
    (Saadc::new(fake.clone(), INPUTS), fake)
}

#[test]
fn the_driver_enables_the_saadc_with_every_channel_disconnected() {
    let (adc, fake) = saadc();
    assert_eq!(fake.setup(), (true, 12));
    assert_eq!(fake.channels(), [None; CHANNELS]);
    assert!(fake.tasks().is_empty());
    assert_eq!((adc.channels(), adc.resolution_bits()), (4, 12));
    assert_eq!(adc.full_scale_mv(), Some(3_600));
}

#[test]
fn a_read_samples_its_input_alone_and_stops() {
    let (mut adc, fake) = saadc();
    fake.set_input(2, 1234);
    fake.set_input(1, 99);
    assert_eq!(adc.read(2), Ok(1234));
    assert_eq!(fake.tasks(), [Task::Start, Task::Sample, Task::Stop]);
    let mut connected = [None; CHANNELS];
    connected[0] = Some(AIN[2]);
    assert_eq!(fake.channels(), connected);
    assert!(!fake.holds_buffer());
    // The next read moves channel 0 to the next input.
    assert_eq!(adc.read(1), Ok(99));
    assert_eq!(fake.channels()[0], Some(AIN[1]));
}

#[test]
fn samples_outside_the_range_are_clamped() {
    let (mut adc, fake) = saadc();
    // Single-ended samples dip below zero with noise.
    fake.set_input(0, -7);
    assert_eq!(adc.read(0), Ok(0));
    fake.set_input(0, 4_200);
    assert_eq!(adc.read(0), Ok(4_095));
}

#[test]
fn a_channel_past_the_inputs_is_the_callers_fault_and_touches_nothing() {
    let (mut adc, fake) = saadc();
    assert_eq!(adc.read(4), Err(HalError::InvalidArgument));
    assert!(fake.tasks().is_empty());
    assert_eq!(fake.channels(), [None; CHANNELS]);
}

#[test]
fn a_conversion_that_never_ends_times_out_and_lets_go_of_the_buffer() {
    let (adc, fake) = saadc();
    let mut adc = adc.with_poll_limit(50);
    fake.stick(Event::End);
    assert_eq!(adc.read(0), Err(HalError::Timeout));
    assert_eq!(fake.tasks(), [Task::Start, Task::Sample, Task::Stop]);
    assert!(!fake.holds_buffer());
}

#[test]
fn a_saadc_that_never_starts_times_out_before_sampling() {
    let (adc, fake) = saadc();
    let mut adc = adc.with_poll_limit(50);
    fake.stick(Event::Started);
    assert_eq!(adc.read(3), Err(HalError::Timeout));
    assert_eq!(fake.tasks(), [Task::Start, Task::Stop]);
    assert!(!fake.holds_buffer());
}

#[test]
fn a_saadc_that_never_stops_is_disabled_and_enabled_again() {
    let (adc, fake) = saadc();
    let mut adc = adc.with_poll_limit(50);
    fake.set_input(0, 10);
    fake.stick(Event::Stopped);
    assert_eq!(adc.read(0), Err(HalError::Timeout));
    assert!(!fake.holds_buffer());
    assert_eq!(fake.setup(), (true, 12));
}

#[test]
fn calibration_waits_for_its_event() {
    let (adc, fake) = saadc();
    let mut adc = adc.with_poll_limit(50);
    assert_eq!(adc.calibrate(), Ok(()));
    assert_eq!(fake.tasks(), [Task::CalibrateOffset]);
    fake.stick(Event::CalibrateDone);
    assert_eq!(adc.calibrate(), Err(HalError::Timeout));
}

#[test]
fn analog_inputs_stop_at_ain7() {
    assert_eq!(AnalogInput::new(7), Some(AIN[7]));
    assert_eq!(AnalogInput::new(8), None);
}

/// `hal://adc/{channel}` read through the router from a native component, served by `hal`
/// over the SAADC driver on `fake`: the replies (or failure codes) in order.
fn through_hal(
    fake: &FakeSaadc,
    poll_limit: u32,
    channels: &[u8],
) -> Vec<Result<Record, CallError>> {
    let (router, authority) = Router::new(RouterConfig::default());
    let adc = Saadc::new(fake.clone(), INPUTS).with_poll_limit(poll_limit);
    let mut devices = DeviceRegistry::<4>::new();
    devices.register(0, Device::Adc(Box::new(adc))).unwrap();
    let hal = HalService::register(&router, devices, HalConfig::default()).unwrap();
    authority
        .allow("app", "hal://adc/{channel}", Methods::READ)
        .unwrap();
    let mut app = router.register(Registration::new("app", &[])).unwrap();
    let mut executor = Executor::with_capacity(2).unwrap();
    executor.spawn("hal", hal.run()).unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let out = seen.clone();
    let uris: Vec<_> = channels
        .iter()
        .map(|c| alloc::format!("hal://adc/{c}"))
        .collect();
    executor
        .spawn("app", async move {
            for uri in uris {
                let adc = app.bind(&uri).unwrap();
                let reply = app.call(&adc, Method::Read, Record::new()).await;
                out.borrow_mut().push(reply);
            }
        })
        .unwrap();
    executor.run_until_idle();
    seen.take()
}

#[test]
fn a_conversion_result_becomes_the_hal_adc_reply() {
    let fake = FakeSaadc::new();
    // 1.8 V on AIN1 (half of the 3.6 V full scale), a little noise below 0 V on AIN3.
    fake.set_input(1, 2_048);
    fake.set_input(3, -2);
    let replies = through_hal(&fake, POLL_LIMIT, &[1, 3, 4]);
    let sample = |i: usize| from_record::<AdcSample>(replies[i].as_ref().unwrap()).unwrap();
    assert_eq!(
        sample(0),
        AdcSample {
            channel: 1,
            raw: 2_048,
            bits: 12,
            millivolts: 1_800,
        }
    );
    assert_eq!(
        sample(1),
        AdcSample {
            channel: 3,
            raw: 0,
            bits: 12,
            millivolts: 0,
        }
    );
    // The DK serves four inputs: a fifth channel is the caller's mistake (422).
    assert_eq!(
        replies[2],
        Err(CallError::Failed(HalFailure::InvalidArgument.code()))
    );
    assert_eq!(
        fake.tasks(),
        [Task::Start, Task::Sample, Task::Stop].repeat(2)
    );
}

#[test]
fn a_stuck_saadc_is_the_callers_504() {
    let fake = FakeSaadc::new();
    fake.stick(Event::End);
    let replies = through_hal(&fake, 50, &[0]);
    assert_eq!(
        replies,
        [Err(CallError::Failed(HalFailure::Timeout.code()))]
    );
}
