//! A register-level fake of the SAADC: the state machine the driver sequences, as the
//! nRF5340 product specification describes it (SAADC, "EasyDMA" and "Scan mode"), with its
//! events a few polls late as on the chip:
//!
//! - `START` takes `RESULT.PTR` / `RESULT.MAXCNT` and sets `STARTED`; only a started SAADC
//!   samples;
//! - `SAMPLE` converts every connected channel, in channel order; when `END` is set, the
//!   samples have been written to the buffer (at most `MAXCNT`) and `RESULT.AMOUNT` says how
//!   many;
//! - `STOP` sets `STOPPED` and lets go of the buffer;
//! - `CALIBRATEOFFSET` sets `CALIBRATEDONE`.
//!
//! A test sets the voltage on each analog input as the signed sample it converts to, can
//! make an event never come, and reads back the tasks triggered and the channels' inputs.

use alloc::{rc::Rc, vec::Vec};
use core::cell::RefCell;

use super::{AnalogInput, CHANNELS, Event, SaadcRegisters, Task};

/// Polls before a triggered event is seen.
const LATENCY: u32 = 3;

#[derive(Default)]
struct State {
    enabled: bool,
    resolution: u8,
    channels: [Option<AnalogInput>; CHANNELS],
    /// `RESULT.PTR` and `RESULT.MAXCNT` as written.
    result: (usize, u16),
    /// The buffer `START` took.
    taken: Option<(usize, u16)>,
    amount: u16,
    /// Samples on `AIN0`–`AIN7`.
    samples: [i16; 8],
    /// Events set, and events on their way (polls left).
    set: Vec<Event>,
    coming: Vec<(Event, u32)>,
    /// Samples the next `END` writes.
    converted: Vec<i16>,
    /// An event that never comes.
    stuck: Option<Event>,
    tasks: Vec<Task>,
}

impl State {
    fn raise(&mut self, event: Event) {
        if self.stuck != Some(event) {
            self.coming.push((event, LATENCY));
        }
    }

    /// One poll: events whose time came are set; `END` writes the samples first.
    fn tick(&mut self) {
        let mut due = Vec::new();
        self.coming.retain_mut(|(event, polls)| {
            *polls = polls.saturating_sub(1);
            if *polls == 0 {
                due.push(*event);
            }
            *polls != 0
        });
        for event in due {
            if event == Event::End {
                self.write_samples();
            }
            self.set.push(event);
        }
    }

    #[allow(unsafe_code)]
    fn write_samples(&mut self) {
        let Some((address, max)) = self.taken else {
            return;
        };
        let converted = core::mem::take(&mut self.converted);
        let written = converted.len().min(usize::from(max));
        for (i, sample) in converted.iter().take(written).enumerate() {
            let at = (address as *mut i16).wrapping_add(i);
            // Safety: `SaadcRegisters::set_result_buffer`'s contract: the buffer holds
            // `MAXCNT` samples and stays valid until its scan has ended or the SAADC has
            // stopped; `END` of that scan is now, and `STOP` has not come.
            unsafe { at.write(*sample) };
        }
        self.amount = written as u16;
    }
}

/// The fake SAADC; clones share one peripheral (one goes to the driver, the test keeps one).
#[derive(Clone, Default)]
pub struct FakeSaadc(Rc<RefCell<State>>);

impl FakeSaadc {
    /// A disabled SAADC, 0 on every input.
    pub fn new() -> Self {
        Self::default()
    }

    /// `AIN{input}` converts to `sample`.
    pub fn set_input(&self, input: u8, sample: i16) {
        self.0.borrow_mut().samples[usize::from(input)] = sample;
    }

    /// `event` never comes.
    pub fn stick(&self, event: Event) {
        self.0.borrow_mut().stuck = Some(event);
    }

    /// Tasks triggered so far, in order.
    pub fn tasks(&self) -> Vec<Task> {
        self.0.borrow().tasks.clone()
    }

    /// The inputs of `CH[0..8]`.
    pub fn channels(&self) -> [Option<AnalogInput>; CHANNELS] {
        self.0.borrow().channels
    }

    /// Whether enabled, and at which resolution.
    pub fn setup(&self) -> (bool, u8) {
        let state = self.0.borrow();
        (state.enabled, state.resolution)
    }

    /// Whether the SAADC still holds a buffer (started and not stopped).
    pub fn holds_buffer(&self) -> bool {
        self.0.borrow().taken.is_some()
    }
}

impl SaadcRegisters for FakeSaadc {
    fn set_enabled(&mut self, enabled: bool) {
        let mut state = self.0.borrow_mut();
        state.enabled = enabled;
        if !enabled {
            // Disabling ends every transfer.
            state.taken = None;
            state.coming.clear();
        }
    }

    fn set_resolution(&mut self, bits: u8) {
        self.0.borrow_mut().resolution = bits;
    }

    fn connect(&mut self, channel: usize, input: Option<AnalogInput>) {
        self.0.borrow_mut().channels[channel] = input;
    }

    fn set_result_buffer(&mut self, buffer: *mut i16, samples: u16) {
        self.0.borrow_mut().result = (buffer as usize, samples);
    }

    fn result_amount(&self) -> u16 {
        self.0.borrow().amount
    }

    fn trigger(&mut self, task: Task) {
        let mut state = self.0.borrow_mut();
        state.tasks.push(task);
        if !state.enabled {
            return;
        }
        match task {
            Task::Start => {
                state.taken = Some(state.result);
                state.amount = 0;
                state.raise(Event::Started);
            }
            Task::Sample if state.taken.is_some() => {
                let samples = state.samples;
                state.converted = state
                    .channels
                    .iter()
                    .flatten()
                    .map(|input| samples[usize::from(input.number())])
                    .collect();
                state.raise(Event::End);
            }
            Task::Sample => {}
            Task::Stop => {
                state.taken = None;
                state.coming.retain(|(event, _)| *event != Event::End);
                state.raise(Event::Stopped);
            }
            Task::CalibrateOffset => state.raise(Event::CalibrateDone),
        }
    }

    fn event(&self, event: Event) -> bool {
        let mut state = self.0.borrow_mut();
        state.tick();
        state.set.contains(&event)
    }

    fn clear(&mut self, event: Event) {
        self.0.borrow_mut().set.retain(|e| *e != event);
    }
}
