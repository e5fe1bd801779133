//! The SAADC as the HAL's [`Adc`]: one blocking one-shot conversion per [`Adc::read`].
//!
//! `embassy-nrf`'s SAADC driver only samples asynchronously (it waits for `END` in a future
//! woken by the SAADC interrupt), and Fireball's cooperative kernel reads its devices from
//! one thread with no executor, so this driver sequences the peripheral itself, through
//! [`SaadcRegisters`] — the few register operations it needs, which the firmware maps to
//! `nrf-pac`'s register block (`embassy_nrf::pac::SAADC`) and the tests to a fake that models
//! the peripheral's state machine. A read:
//!
//! 1. points channel 0 at the requested analog input (single-ended, gain 1/6, the internal
//!    0.6 V reference: 0–3.6 V full scale, 10 µs acquisition); the other seven channels stay
//!    disconnected, so a scan is one sample;
//! 2. hands EasyDMA a one-sample buffer (`RESULT.PTR`, `RESULT.MAXCNT` = 1);
//! 3. `START`, waits for `STARTED`; `SAMPLE`, waits for `END`;
//! 4. checks `RESULT.AMOUNT`, reads the signed sample and clamps it to the reading's
//!    range ([`adc_reading`]); `STOP`, waits for `STOPPED`.
//!
//! Every wait is a bounded number of polls: a peripheral that never raises its event is
//! stopped and the read fails with [`HalError::Timeout`], never hangs the kernel.

use core::sync::atomic::{Ordering, compiler_fence};

use fireball_subsystems::hal::{Adc, HalError, units::adc_reading};

/// The SAADC's channels (`CH[0..8]`).
pub const CHANNELS: usize = 8;

/// The resolution every read is made at.
pub const RESOLUTION_BITS: u8 = 12;

/// The input a full-scale sample stands for with gain 1/6 and the 0.6 V internal
/// reference, in millivolts (the pins themselves stay within VDD).
pub const FULL_SCALE_MV: u32 = 3_600;

/// Polls of an event before a wait gives up: far beyond a conversion's ~12 µs (10 µs
/// acquisition and 2 µs conversion) at 64 MHz, however fast a poll is.
pub const POLL_LIMIT: u32 = 100_000;

/// An analog input pin, `AIN0`–`AIN7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnalogInput(u8);

/// `AIN0`–`AIN7`, by number.
pub const AIN: [AnalogInput; 8] = [
    AnalogInput(0),
    AnalogInput(1),
    AnalogInput(2),
    AnalogInput(3),
    AnalogInput(4),
    AnalogInput(5),
    AnalogInput(6),
    AnalogInput(7),
];

impl AnalogInput {
    /// `AIN{n}`; `None` past `AIN7`.
    pub const fn new(n: u8) -> Option<Self> {
        if n < 8 { Some(Self(n)) } else { None }
    }

    /// Its number, `n` of `AIN{n}`.
    pub const fn number(self) -> u8 {
        self.0
    }
}

/// The SAADC's tasks the driver triggers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// `TASKS_START`: take the result buffer, get ready to sample.
    Start,
    /// `TASKS_SAMPLE`: convert every connected channel once.
    Sample,
    /// `TASKS_STOP`: stop, let go of the buffer.
    Stop,
    /// `TASKS_CALIBRATEOFFSET`.
    CalibrateOffset,
}

/// The SAADC's events the driver waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `EVENTS_STARTED`: the buffer was taken.
    Started,
    /// `EVENTS_END`: the buffer is full.
    End,
    /// `EVENTS_STOPPED`.
    Stopped,
    /// `EVENTS_CALIBRATEDONE`.
    CalibrateDone,
}

/// What the driver needs of the SAADC's registers. The firmware's implementation writes
/// `nrf-pac`'s register block; each method is one register (or one channel's two).
pub trait SaadcRegisters {
    /// `ENABLE`.
    fn set_enabled(&mut self, enabled: bool);
    /// `RESOLUTION`, in bits (8, 10, 12 or 14).
    fn set_resolution(&mut self, bits: u8);
    /// `CH[channel]`: `PSELP` = `input` (single-ended, `PSELN` not connected; `CONFIG` gain
    /// 1/6, internal reference, 10 µs acquisition, no resistors, no burst), or both
    /// `PSEL`s not connected when `input` is `None`.
    fn connect(&mut self, channel: usize, input: Option<AnalogInput>);
    /// `RESULT.PTR` and `RESULT.MAXCNT`: where EasyDMA writes the next scan's samples, and
    /// how many it may write. `buffer` must stay valid until the scan has ended or the
    /// SAADC has stopped.
    fn set_result_buffer(&mut self, buffer: *mut i16, samples: u16);
    /// `RESULT.AMOUNT`: samples written by the last scan.
    fn result_amount(&self) -> u16;
    /// Trigger `task`.
    fn trigger(&mut self, task: Task);
    /// Whether `event` is set.
    fn event(&self, event: Event) -> bool;
    /// Clear `event`.
    fn clear(&mut self, event: Event);
}

/// The SAADC, sampling the analog inputs it was given as `hal://adc` channels 0, 1, …
pub struct Saadc<R> {
    regs: R,
    inputs: &'static [AnalogInput],
    poll_limit: u32,
}

impl<R: SaadcRegisters> Saadc<R> {
    /// The SAADC over `regs`, `inputs[n]` being `hal://adc/{n}`: enabled at
    /// [`RESOLUTION_BITS`], every channel disconnected until a read. At most [`CHANNELS`]
    /// inputs are served.
    pub fn new(mut regs: R, inputs: &'static [AnalogInput]) -> Self {
        regs.set_enabled(false);
        regs.set_resolution(RESOLUTION_BITS);
        for channel in 0..CHANNELS {
            regs.connect(channel, None);
        }
        regs.set_enabled(true);
        let served = inputs.len().min(CHANNELS);
        Self {
            regs,
            inputs: &inputs[..served],
            poll_limit: POLL_LIMIT,
        }
    }

    /// The same driver, giving up a wait after `polls` polls (tests; [`POLL_LIMIT`] by
    /// default).
    pub fn with_poll_limit(mut self, polls: u32) -> Self {
        self.poll_limit = polls.max(1);
        self
    }

    /// The registers (a test looks at its fake through them).
    pub fn registers(&self) -> &R {
        &self.regs
    }

    /// Calibrate the converter's offset (Nordic advise it at start-up and when the
    /// temperature has moved by more than 10 °C).
    pub fn calibrate(&mut self) -> Result<(), HalError> {
        self.regs.clear(Event::CalibrateDone);
        compiler_fence(Ordering::SeqCst);
        self.regs.trigger(Task::CalibrateOffset);
        self.wait(Event::CalibrateDone)
    }

    /// Poll until `event` is set, then clear it; [`HalError::Timeout`] after the poll limit.
    fn wait(&mut self, event: Event) -> Result<(), HalError> {
        for _ in 0..self.poll_limit {
            if self.regs.event(event) {
                self.regs.clear(event);
                return Ok(());
            }
        }
        Err(HalError::Timeout)
    }

    /// Stop the SAADC, so that EasyDMA lets go of the buffer before it goes out of scope.
    /// A SAADC that does not even stop is disabled and enabled again (which ends any
    /// transfer) and reported as [`HalError::Timeout`].
    fn stop(&mut self) -> Result<(), HalError> {
        self.regs.clear(Event::Stopped);
        self.regs.trigger(Task::Stop);
        let stopped = self.wait(Event::Stopped);
        if stopped.is_err() {
            self.regs.set_enabled(false);
            self.regs.set_enabled(true);
        }
        stopped
    }

    /// One scan of channel 0 into `buffer`; the SAADC is started, not yet stopped.
    fn scan(&mut self, buffer: &mut [i16; 1]) -> Result<(), HalError> {
        self.regs.set_result_buffer(buffer.as_mut_ptr(), 1);
        self.regs.clear(Event::Started);
        self.regs.clear(Event::End);
        // The buffer's address and the cleared events before the tasks.
        compiler_fence(Ordering::SeqCst);
        self.regs.trigger(Task::Start);
        self.wait(Event::Started)?;
        self.regs.trigger(Task::Sample);
        self.wait(Event::End)?;
        // EasyDMA's write before the read of the buffer.
        compiler_fence(Ordering::SeqCst);
        if self.regs.result_amount() != 1 {
            return Err(HalError::Bus);
        }
        Ok(())
    }
}

impl<R: SaadcRegisters> Adc for Saadc<R> {
    fn channels(&self) -> u8 {
        // At most eight inputs (`new`).
        self.inputs.len() as u8
    }

    fn resolution_bits(&self) -> u8 {
        RESOLUTION_BITS
    }

    fn full_scale_mv(&self) -> Option<u32> {
        Some(FULL_SCALE_MV)
    }

    fn read(&mut self, channel: u8) -> Result<u16, HalError> {
        let input = *self
            .inputs
            .get(usize::from(channel))
            .ok_or(HalError::InvalidArgument)?;
        self.regs.connect(0, Some(input));
        let mut buffer = [0i16; 1];
        let scanned = self.scan(&mut buffer);
        // Stopped whatever happened: EasyDMA must not write `buffer` after this returns.
        let stopped = self.stop();
        scanned?;
        stopped?;
        Ok(adc_reading(buffer[0], RESOLUTION_BITS))
    }
}

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;
