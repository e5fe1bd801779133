//! `filter` — the seed's preprocessing service: per ADC channel, a cascade of three one-pole
//! IIR low-pass filters (alphas 0.1, 0.3, 0.5) that smooths the raw samples.
//!
//! | route | method | request | reply |
//! | --- | --- | --- | --- |
//! | `svc://filter/{ch}` | read | — | [`Filtered`]: reads `hal://adc/{ch}`, filters the sample |
//! | | call | [`Sample`] | [`Filtered`]: filters a sample the caller brings |
//! | `svc://filter/{ch}/alpha` | write | [`Alphas`] | [`ChannelState`] |
//! | `svc://filter/{ch}/state` | read | — | [`ChannelState`] |
//!
//! Channels are `0..CHANNELS`; another number is 404, a non-number 400, a coefficient outside
//! `(0, 1]` 422. A refusal from `hal` passes through (its 404 for a channel the board lacks),
//! anything else that keeps the ADC from answering is 502.
//!
//! - [`cascade`] — the filter (pure logic, tested on the host).
//! - [`Filter`] — the service: per-channel cascades and the ADC clients it reads through.
//! - [`filter_messages`] (re-exported here) — the routes' requests and replies, in their own
//!   crate so that guests calling the service can share them.
//!
//! The module reaches `hal://adc/{ch}` (the manifest must allow it) and `log://`.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cascade;

use fireball_services_sdk::guests::hal::Adc;
use fireball_services_sdk::prelude::*;

pub use filter_messages::{Alphas, ChannelState, Filtered, STAGES, Sample};

use cascade::Cascade;

/// ADC channels served (the simulated board's ADC has four).
pub const CHANNELS: usize = 4;

/// The service's state: a cascade per channel, and the ADC channels bound so far (bound on
/// first use and kept, at most [`CHANNELS`] of the module's bindings).
#[derive(Default)]
pub struct Filter {
    cascades: [Cascade; CHANNELS],
    adcs: [Option<Adc>; CHANNELS],
}

impl Filter {
    fn channel(request: &Request<'_>) -> Result<u8, Failure> {
        let channel: u8 = request.param_as("ch")?;
        if usize::from(channel) < CHANNELS {
            Ok(channel)
        } else {
            Err(Failure::NOT_FOUND)
        }
    }

    /// `read svc://filter/{ch}`: sample the ADC channel and filter it.
    pub fn read(&mut self, request: &Request<'_>, (): ()) -> Result<Filtered, Failure> {
        let channel = Self::channel(request)?;
        let raw = self.sample(channel)?;
        self.step(channel, i32::from(raw))
    }

    /// `call svc://filter/{ch}`: filter the caller's sample.
    pub fn filter(&mut self, request: &Request<'_>, sample: Sample) -> Result<Filtered, Failure> {
        let channel = Self::channel(request)?;
        self.step(channel, sample.raw)
    }

    /// Channel `channel`'s cascade (`channel` came from [`Self::channel`]: always one).
    fn cascade(&mut self, channel: u8) -> Result<&mut Cascade, Failure> {
        self.cascades
            .get_mut(usize::from(channel))
            .ok_or(Failure::NOT_FOUND)
    }

    fn step(&mut self, channel: u8, raw: i32) -> Result<Filtered, Failure> {
        // Samples are ADC counts (at most 16 bits): exact in an f32.
        let filtered = self.cascade(channel)?.step(raw as f32);
        Ok(Filtered {
            channel,
            raw,
            filtered,
        })
    }

    /// `write svc://filter/{ch}/alpha`: new coefficients; the stages keep their state.
    pub fn tune(&mut self, request: &Request<'_>, alphas: Alphas) -> Result<ChannelState, Failure> {
        let channel = Self::channel(request)?;
        self.cascade(channel)?
            .set_alphas(alphas.alphas)
            .map_err(|_| Failure::UNPROCESSABLE)?;
        log::say!(Info: "channel ", channel, " retuned by ", request.caller());
        self.state(request, ())
    }

    /// `read svc://filter/{ch}/state`.
    pub fn state(&mut self, request: &Request<'_>, (): ()) -> Result<ChannelState, Failure> {
        let channel = Self::channel(request)?;
        let cascade = self.cascade(channel)?;
        Ok(ChannelState {
            channel,
            alphas: cascade.alphas(),
            prev: cascade.prev(),
            samples: cascade.samples(),
        })
    }

    /// One raw sample from `hal://adc/{channel}`, binding it on first use (the client binds
    /// again by itself if `hal` restarts).
    fn sample(&mut self, channel: u8) -> Result<u16, Failure> {
        let slot = self
            .adcs
            .get_mut(usize::from(channel))
            .ok_or(Failure::NOT_FOUND)?;
        let adc = match slot {
            Some(adc) => adc,
            None => slot.insert(Adc::open(channel)?),
        };
        Ok(adc.read()?.raw)
    }
}

impl Service for Filter {
    fn init() -> Self {
        Self::default()
    }

    fn routes(routes: Routes<Self>) -> Routes<Self> {
        routes
            .serve(filter_messages::READ, Filter::read)
            .serve(filter_messages::FILTER, Filter::filter)
            .serve(filter_messages::TUNE, Filter::tune)
            .serve(filter_messages::STATE, Filter::state)
    }
}

// Nothing allocates: requests, replies and log lines live in the service's buffer and on
// the stack. No heap.
service!(Filter);

#[cfg(test)]
mod tests;
