//! The board's devices: what QEMU `mps2-an505` has, and models for what it lacks.
//!
//! The board has a UART (the console) and SysTick; it has no ADC and no
//! climate sensor, so the firmware registers Fireball's deterministic device
//! models for them — the same models the host simulator uses — on a virtual
//! clock that follows SysTick.

use alloc::boxed::Box;

use fireball_subsystems::{
    hal::{Clock, Device, DeviceRegistry},
    sim::{ClimateSensor, SimAdc, SimClock, SimI2cBus, Waveform},
};

use crate::clock::SysTickClock;

/// The ADC model's channels: a fixed mid-scale reference and a slow sine.
pub const ADC_CHANNELS: [Waveform; 2] = [
    Waveform::Constant { level: 2048 },
    Waveform::Sine {
        offset: 2048,
        amplitude: 1000,
        period_us: 1_000_000,
    },
];

/// The registry the `hal` component serves: ADC 0 and I2C bus 0 (models),
/// timer 0 (SysTick). `models` is the models' clock; keep it in step with
/// [`follow_systick`].
pub fn devices(models: &SimClock) -> DeviceRegistry {
    let mut registry = DeviceRegistry::new();
    let mut i2c = SimI2cBus::new();
    i2c.attach(
        ClimateSensor::ADDRESS,
        Box::new(ClimateSensor::new(models.clone())),
    );
    let adc = SimAdc::new(models.clone(), 12, &ADC_CHANNELS);
    // The registry holds 16 and these are the first three: registration cannot fail.
    let _ = registry.register(0, Device::Adc(Box::new(adc)));
    let _ = registry.register(0, Device::I2c(Box::new(i2c)));
    let _ = registry.register(0, Device::Timer(Box::new(SysTickClock)));
    registry
}

/// Bring the models' clock up to SysTick's time.
pub fn follow_systick(models: &SimClock) {
    let now = SysTickClock.now_us();
    models.advance(now.saturating_sub(models.now_us()));
}
