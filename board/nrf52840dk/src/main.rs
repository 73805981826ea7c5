//! Tock 2.2 kernel for the Nordic nRF52840-DK with femto-containers.
//!
//! The board is Tock's own nRF52840-DK configuration, obtained from
//! `nrf52840dk_lib::start()` (package `nrf52840dk` of Tock 2.2): console,
//! alarm, LEDs, buttons, GPIO, RNG, ADC, BLE advertising (0x30000), I2C, SPI,
//! KV, IPC and the rest stay exactly as upstream configures them. On top of
//! it this binary adds the femto-container capsule and its hooks; see
//! [`femto`] for how the temperature path is rewired. System calls for the
//! drivers this board adds are answered here, everything else is forwarded
//! to the upstream platform.

#![no_std]
// `no_main` only for the real build, so that rustdoc can document this crate.
#![cfg_attr(not(doc), no_main)]
#![deny(missing_docs)]

use core::ptr::{addr_of, addr_of_mut};

use kernel::debug;
use kernel::platform::{KernelResources, SyscallDriverLookup};
use kernel::{capabilities, create_capability};
use nrf52840dk_lib::{self, PROCESSES};

mod femto;

/// The chip type of the upstream board.
type Chip = nrf52840dk_lib::Chip;

/// The upstream platform's resource types, reused unchanged.
type Base = nrf52840dk_lib::Platform;

/// How the kernel responds when a process faults: like upstream, print the
/// fault and halt, so a fault is never missed while developing on the DK.
const FAULT_RESPONSE: capsules_system::process_policies::PanicFaultPolicy =
    capsules_system::process_policies::PanicFaultPolicy {};

/// This board: the upstream platform plus the drivers we add.
struct Platform {
    /// Everything `nrf52840dk_lib::start()` set up.
    base: Base,
    /// The femto-container capsule, the new temperature driver and their
    /// driver numbers.
    femto: femto::FemtoDrivers,
    /// Tock's 802.15.4 / 6LoWPAN / UDP stack, as the stock board has it
    /// (for `femto deploy --udp`).
    #[cfg(feature = "udp")]
    net: Net,
}

/// The networking drivers of `nrf52840dk_lib::ieee802154_udp()`.
#[cfg(feature = "udp")]
struct Net {
    /// EUI-64 (driver 0x30006).
    eui64: &'static dyn kernel::syscall::SyscallDriver,
    /// Raw 802.15.4 (driver 0x30001).
    ieee802154: &'static dyn kernel::syscall::SyscallDriver,
    /// UDP over 6LoWPAN (driver 0x30002).
    udp: &'static capsules_extra::net::udp::UDPDriver<'static>,
}

impl SyscallDriverLookup for Platform {
    fn with_driver<F, R>(&self, driver_num: usize, f: F) -> R
    where
        F: FnOnce(Option<&dyn kernel::syscall::SyscallDriver>) -> R,
    {
        if let Some(driver) = self.femto.lookup(driver_num) {
            return f(Some(driver));
        }
        #[cfg(feature = "udp")]
        match driver_num {
            capsules_extra::net::udp::DRIVER_NUM => return f(Some(self.net.udp)),
            capsules_extra::ieee802154::DRIVER_NUM => return f(Some(self.net.ieee802154)),
            capsules_extra::eui64::DRIVER_NUM => return f(Some(self.net.eui64)),
            _ => {}
        }
        self.base.with_driver(driver_num, f)
    }
}

impl KernelResources<Chip> for Platform {
    type SyscallDriverLookup = Self;
    type SyscallFilter = <Base as KernelResources<Chip>>::SyscallFilter;
    type ProcessFault = <Base as KernelResources<Chip>>::ProcessFault;
    type Scheduler = <Base as KernelResources<Chip>>::Scheduler;
    type SchedulerTimer = <Base as KernelResources<Chip>>::SchedulerTimer;
    type WatchDog = <Base as KernelResources<Chip>>::WatchDog;
    type ContextSwitchCallback = <Base as KernelResources<Chip>>::ContextSwitchCallback;

    fn syscall_driver_lookup(&self) -> &Self::SyscallDriverLookup {
        self
    }
    fn syscall_filter(&self) -> &Self::SyscallFilter {
        self.base.syscall_filter()
    }
    fn process_fault(&self) -> &Self::ProcessFault {
        self.base.process_fault()
    }
    fn scheduler(&self) -> &Self::Scheduler {
        self.base.scheduler()
    }
    fn scheduler_timer(&self) -> &Self::SchedulerTimer {
        self.base.scheduler_timer()
    }
    fn watchdog(&self) -> &Self::WatchDog {
        self.base.watchdog()
    }
    fn context_switch_callback(&self) -> &Self::ContextSwitchCallback {
        self.base.context_switch_callback()
    }
}

/// Entry point, called by the Cortex-M reset handler once RAM is initialised.
///
/// # Safety
///
/// Called exactly once, by the reset handler, before anything else runs.
#[no_mangle]
pub unsafe fn main() {
    // SAFETY: called once at boot, as `start()` requires; it initialises the
    // chip, the peripherals and all upstream capsules.
    let (board_kernel, base, chip, peripherals, mux_alarm) = nrf52840dk_lib::start();

    // SAFETY: still single-threaded boot code, before any process exists.
    let femto = femto::setup(board_kernel, peripherals, mux_alarm);

    // SAFETY: boot code, called once; the radio, AES block and the RTC
    // alarm mux are not used by anything else this board sets up.
    #[cfg(feature = "udp")]
    let net = {
        let (eui64, ieee802154, udp) =
            nrf52840dk_lib::ieee802154_udp(board_kernel, peripherals, mux_alarm);
        Net {
            eui64,
            ieee802154,
            udp,
        }
    };

    let platform = Platform {
        base,
        femto,
        #[cfg(feature = "udp")]
        net,
    };

    // Symbols from Tock's kernel linker script: where apps live in flash and
    // the RAM they may use.
    extern "C" {
        static _sapps: u8;
        static _eapps: u8;
        static mut _sappmem: u8;
        static _eappmem: u8;
    }

    let process_management_capability =
        create_capability!(capabilities::ProcessManagementCapability);
    // SAFETY: the linker script defines these symbols as the bounds of the app
    // flash and app RAM regions, which nothing else in the kernel uses.
    let app_flash = core::slice::from_raw_parts(
        addr_of!(_sapps),
        addr_of!(_eapps) as usize - addr_of!(_sapps) as usize,
    );
    let app_memory = core::slice::from_raw_parts_mut(
        addr_of_mut!(_sappmem),
        addr_of!(_eappmem) as usize - addr_of!(_sappmem) as usize,
    );
    kernel::process::load_processes(
        board_kernel,
        chip,
        app_flash,
        app_memory,
        &mut *addr_of_mut!(PROCESSES),
        &FAULT_RESPONSE,
        &process_management_capability,
    )
    .unwrap_or_else(|err| {
        debug!("Error loading processes!");
        debug!("{:?}", err);
    });

    let main_loop_capability = create_capability!(capabilities::MainLoopCapability);
    board_kernel.kernel_loop(
        &platform,
        chip,
        Some(&platform.base.ipc),
        &main_loop_capability,
    );
}
