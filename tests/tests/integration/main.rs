//! Fireball's cross-crate integration tests, one binary with one module per behaviour
//! (wasmi's layout): each module is what its own test file was, so a failure still names the
//! behaviour (`integration::vsoc_traps::…`). One binary links wasmi and the workspace once
//! instead of once per file.
//!
//! The two tests that install the kernel's partitioned heap as their global allocator
//! (`deploy_partitions`, `vsoc_partitions`) stay binaries of their own: a global allocator is
//! per binary.
//!
//! Modules that need an artifact built by `cargo xtask` (modules in `FIREBALL_MODULES_DIR`,
//! firmware ELFs in `FIREBALL_*_ELF`) fail and say so when run without it: run them through
//! `cargo xtask test`.

mod subsystems_common;

mod abi_builtins;
mod board_gpio;
mod c_guest;
mod codec_fuel;
mod control_serial;
mod debugger;
mod demo_sensor_hub;
mod demo_timeline;
mod fault_matrix_board;
mod firmware_deploy;
mod firmware_latency;
mod hello;
mod lifecycle;
mod module_arrows;
mod module_store;
mod modules;
mod runner_deploy;
mod served_routes;
mod service_buffer;
mod services_in_hypervisor;
mod subsystems_hal_guest;
mod subsystems_hal_native;
mod subsystems_irq;
mod subsystems_logger;
mod subsystems_policy;
mod update_downtime;
mod vsoc_builtins;
mod vsoc_channels;
mod vsoc_debug;
mod vsoc_isolation;
mod vsoc_loader;
mod vsoc_prevalidated;
mod vsoc_services;
mod vsoc_slices;
mod vsoc_tasks;
mod vsoc_traps;
