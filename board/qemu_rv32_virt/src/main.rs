//! Tock 2.2 kernel for QEMU's riscv32 `virt` machine, with femto-containers.
//!
//! Our own board on Tock's `qemu_rv32_virt_chip` crate (upstream ships that
//! board only as a binary). It provides:
//!
//! * console (0x1), alarm (0x0), low-level debug (0x8), IPC;
//! * a temperature driver (0x60000) on a simulated sensor with a fixed
//!   sequence of readings ([`sim_temperature`]);
//! * the femto-container capsule and its hooks ([`femto`]);
//! * a test-exit driver and an idle watcher that end QEMU by themselves
//!   through the virt machine's test finisher ([`test_exit`]);
//! * a PLIC interrupt service that tolerates the 16550 UART's spurious
//!   interrupts, which make Tock 2.2's own board panic at boot
//!   ([`interrupts`]).
//!
//! Processes are scheduled round-robin with a timeslice, so an app that
//! spins cannot starve the others; a faulting process is stopped (with a
//! debug report) rather than bringing the kernel down.

#![no_std]
// `no_main` only for the real build, so that rustdoc can document this crate.
#![cfg_attr(not(doc), no_main)]
#![deny(missing_docs)]

use core::ptr::{addr_of, addr_of_mut};

use capsules_core::virtualizers::virtual_alarm::{MuxAlarm, VirtualMuxAlarm};
use kernel::capabilities;
use kernel::component::Component;
use kernel::hil;
use kernel::platform::scheduler_timer::VirtualSchedulerTimer;
use kernel::platform::{KernelResources, SyscallDriverLookup};
use kernel::scheduler::round_robin::RoundRobinSched;
use kernel::utilities::registers::interfaces::ReadWriteable;
use kernel::{create_capability, debug, static_init};
use qemu_rv32_virt_chip::chip::{QemuRv32VirtChip, QemuRv32VirtDefaultPeripherals};
use rv32i::csr;

mod femto;
mod interrupts;
mod io;
mod sim_temperature;
mod test_exit;
mod uart_regs;

use interrupts::BoardInterrupts;

/// Number of processes the kernel can hold.
pub const NUM_PROCS: usize = 4;

/// The process table.
static mut PROCESSES: [Option<&'static dyn kernel::process::Process>; NUM_PROCS] =
    [None; NUM_PROCS];

/// The chip, with our interrupt service.
type Chip = QemuRv32VirtChip<'static, BoardInterrupts<'static>>;

/// The chip, kept for the panic report.
static mut CHIP: Option<&'static Chip> = None;

/// The process printer, kept for the panic report.
static mut PROCESS_PRINTER: Option<&'static capsules_system::process_printer::ProcessPrinterText> =
    None;

/// Faulting processes are stopped and reported, the kernel goes on.
const FAULT_RESPONSE: capsules_system::process_policies::StopWithDebugFaultPolicy =
    capsules_system::process_policies::StopWithDebugFaultPolicy {};

/// The kernel stack; the linker script places `.stack_buffer` where the
/// kernel stack belongs.
#[no_mangle]
#[link_section = ".stack_buffer"]
pub static mut STACK_MEMORY: [u8; 0x8000] = [0; 0x8000];

/// The machine timer (CLINT) at the virt machine's frequency.
type Clint = qemu_rv32_virt_chip::chip::QemuRv32VirtClint<'static>;
/// A virtual alarm on the CLINT.
type VAlarm = VirtualMuxAlarm<'static, Clint>;

/// The drivers reachable by system calls, and the kernel resources.
struct Platform {
    console: &'static capsules_core::console::Console<'static>,
    alarm: &'static capsules_core::alarm::AlarmDriver<'static, VAlarm>,
    lldb: &'static capsules_core::low_level_debug::LowLevelDebug<
        'static,
        capsules_core::virtualizers::virtual_uart::UartDevice<'static>,
    >,
    ipc: kernel::ipc::IPC<{ NUM_PROCS as u8 }>,
    test_exit: &'static test_exit::TestExitDriver,
    femto: femto::FemtoDrivers,
    scheduler: &'static RoundRobinSched<'static>,
    scheduler_timer: &'static VirtualSchedulerTimer<VAlarm>,
}

impl SyscallDriverLookup for Platform {
    fn with_driver<F, R>(&self, driver_num: usize, f: F) -> R
    where
        F: FnOnce(Option<&dyn kernel::syscall::SyscallDriver>) -> R,
    {
        match driver_num {
            capsules_core::console::DRIVER_NUM => f(Some(self.console)),
            capsules_core::alarm::DRIVER_NUM => f(Some(self.alarm)),
            capsules_core::low_level_debug::DRIVER_NUM => f(Some(self.lldb)),
            kernel::ipc::DRIVER_NUM => f(Some(&self.ipc)),
            test_exit::DRIVER_NUM => f(Some(self.test_exit)),
            other => match self.femto.lookup(other) {
                Some(driver) => f(Some(driver)),
                None => f(None),
            },
        }
    }
}

impl KernelResources<Chip> for Platform {
    type SyscallDriverLookup = Self;
    type SyscallFilter = ();
    type ProcessFault = ();
    type Scheduler = RoundRobinSched<'static>;
    type SchedulerTimer = VirtualSchedulerTimer<VAlarm>;
    type WatchDog = ();
    type ContextSwitchCallback = ();

    fn syscall_driver_lookup(&self) -> &Self::SyscallDriverLookup {
        self
    }
    fn syscall_filter(&self) -> &Self::SyscallFilter {
        &()
    }
    fn process_fault(&self) -> &Self::ProcessFault {
        &()
    }
    fn scheduler(&self) -> &Self::Scheduler {
        self.scheduler
    }
    fn scheduler_timer(&self) -> &Self::SchedulerTimer {
        self.scheduler_timer
    }
    fn watchdog(&self) -> &Self::WatchDog {
        &()
    }
    fn context_switch_callback(&self) -> &Self::ContextSwitchCallback {
        &()
    }
}

// Symbols defined by the linker script (layout.ld and Tock's
// tock_kernel_layout.ld).
extern "C" {
    /// Start of the application flash region.
    static _sapps: u8;
    /// End of the application flash region.
    static _eapps: u8;
    /// Start of the RAM given to processes.
    static mut _sappmem: u8;
    /// End of the RAM given to processes.
    static _eappmem: u8;
    /// Start of kernel code.
    static _stext: u8;
    /// End of kernel code.
    static _etext: u8;
    /// Start of kernel and app flash.
    static _sflash: u8;
    /// End of kernel and app flash.
    static _eflash: u8;
    /// Start of RAM.
    static _ssram: u8;
    /// End of RAM.
    static _esram: u8;
}

/// Sets up memory protection for the kernel itself (Smepmp, machine mode
/// lockdown): kernel code executable, flash and RAM not, MMIO read-write.
///
/// # Safety
///
/// Call once, at boot, right after the trap handler is installed.
unsafe fn kernel_memory_protection(
) -> rv32i::pmp::kernel_protection_mml_epmp::KernelProtectionMMLEPMP<16, 5> {
    use rv32i::pmp::kernel_protection_mml_epmp::{
        FlashRegion, KernelProtectionMMLEPMP, KernelTextRegion, MMIORegion, RAMRegion,
    };
    use rv32i::pmp::{NAPOTRegionSpec, TORRegionSpec};

    let span = |start: *const u8, end: *const u8| end as usize - start as usize;
    // The linker script keeps flash and RAM each a naturally aligned power
    // of two, which NAPOT regions need; if that were broken, booting on
    // would leave the kernel unprotected, so it stops here instead.
    let flash = NAPOTRegionSpec::new(
        addr_of!(_sflash),
        span(addr_of!(_sflash), addr_of!(_eflash)),
    )
    .expect("layout.ld: flash is not a NAPOT region");
    let ram = NAPOTRegionSpec::new(addr_of!(_ssram), span(addr_of!(_ssram), addr_of!(_esram)))
        .expect("layout.ld: RAM is not a NAPOT region");
    // Everything below 0x20000000: CLINT, PLIC, UART, virtio, test finisher.
    let mmio = NAPOTRegionSpec::new(core::ptr::null::<u8>(), 0x2000_0000)
        .expect("MMIO region is NAPOT");
    let text = TORRegionSpec::new(addr_of!(_stext), addr_of!(_etext))
        .expect("layout.ld: kernel text bounds");
    KernelProtectionMMLEPMP::new(
        FlashRegion(flash),
        RAMRegion(ram),
        MMIORegion(mmio),
        KernelTextRegion(text),
    )
    .expect("kernel ePMP set-up")
}

/// Creates everything; returns the kernel, the platform and the chip.
///
/// Kept out of `main` and `inline(never)` so its large stack frame is gone
/// before the kernel loop starts.
#[inline(never)]
unsafe fn start() -> (&'static kernel::Kernel, Platform, &'static Chip) {
    rv32i::configure_trap_handler();
    let epmp = kernel_memory_protection();

    let process_management = create_capability!(capabilities::ProcessManagementCapability);
    let memory_allocation = create_capability!(capabilities::MemoryAllocationCapability);

    let board_kernel = static_init!(kernel::Kernel, kernel::Kernel::new(&*addr_of!(PROCESSES)));

    // ---------- Peripherals ----------

    let peripherals = static_init!(
        QemuRv32VirtDefaultPeripherals,
        QemuRv32VirtDefaultPeripherals::new()
    );
    let board_interrupts = static_init!(BoardInterrupts, BoardInterrupts::new(peripherals));

    // UART shared by the console, debug output and low-level debug.
    let uart_mux = components::console::UartMuxComponent::new(&peripherals.uart0, 115200)
        .finalize(components::uart_mux_component_static!());
    // No receive interrupt until a console read provides a buffer (see
    // uart_regs::disable_receive_interrupt).
    uart_regs::disable_receive_interrupt();

    // Machine timer and the alarm mux on it.
    let clint = static_init!(
        Clint,
        qemu_rv32_virt_chip::chip::QemuRv32VirtClint::new(&qemu_rv32_virt_chip::clint::CLINT_BASE)
    );
    let mux_alarm = static_init!(MuxAlarm<'static, Clint>, MuxAlarm::new(clint));
    hil::time::Alarm::set_alarm_client(clint, mux_alarm);

    let scheduler_alarm = static_init!(VAlarm, VirtualMuxAlarm::new(mux_alarm));
    scheduler_alarm.setup();
    let scheduler_timer = static_init!(
        VirtualSchedulerTimer<VAlarm>,
        VirtualSchedulerTimer::new(scheduler_alarm)
    );

    let alarm = components::alarm::AlarmDriverComponent::new(
        board_kernel,
        capsules_core::alarm::DRIVER_NUM,
        mux_alarm,
    )
    .finalize(components::alarm_component_static!(Clint));

    // ---------- Chip, interrupts on ----------

    let chip = static_init!(Chip, QemuRv32VirtChip::new(board_interrupts, clint, epmp));
    CHIP = Some(chip);
    chip.enable_plic_interrupts();
    csr::CSR
        .mie
        .modify(csr::mie::mie::mext::SET + csr::mie::mie::msoft::SET + csr::mie::mie::mtimer::SET);
    csr::CSR.mstatus.modify(csr::mstatus::mstatus::mie::SET);

    // ---------- Console and debug ----------

    let process_printer = components::process_printer::ProcessPrinterTextComponent::new()
        .finalize(components::process_printer_text_component_static!());
    PROCESS_PRINTER = Some(process_printer);

    let console = components::console::ConsoleComponent::new(
        board_kernel,
        capsules_core::console::DRIVER_NUM,
        uart_mux,
    )
    .finalize(components::console_component_static!());
    components::debug_writer::DebugWriterComponent::new(uart_mux)
        .finalize(components::debug_writer_component_static!());
    let lldb = components::lldb::LowLevelDebugComponent::new(
        board_kernel,
        capsules_core::low_level_debug::DRIVER_NUM,
        uart_mux,
    )
    .finalize(components::low_level_debug_component_static!());

    // ---------- Femto-containers, temperature ----------

    let femto = femto::setup(board_kernel, mux_alarm);

    // ---------- Ending the run ----------

    let test_exit = static_init!(
        test_exit::TestExitDriver,
        test_exit::TestExitDriver::new(
            board_kernel.create_grant(test_exit::DRIVER_NUM, &memory_allocation)
        )
    );
    let idle_alarm = static_init!(VAlarm, VirtualMuxAlarm::new(mux_alarm));
    idle_alarm.setup();
    let idle_watcher = static_init!(
        test_exit::ExitWhenIdle<'static, VAlarm, IdleCapability>,
        test_exit::ExitWhenIdle::new(idle_alarm, board_kernel, IdleCapability, board_interrupts)
    );
    hil::time::Alarm::set_alarm_client(idle_alarm, idle_watcher);

    // ---------- Scheduler, platform ----------

    let scheduler = components::sched::round_robin::RoundRobinComponent::new(&*addr_of!(PROCESSES))
        .finalize(components::round_robin_component_static!(NUM_PROCS));

    let platform = Platform {
        console,
        alarm,
        lldb,
        ipc: kernel::ipc::IPC::new(board_kernel, kernel::ipc::DRIVER_NUM, &memory_allocation),
        test_exit,
        femto,
        scheduler,
        scheduler_timer,
    };

    debug!("femto-containers: QEMU riscv32 virt kernel, initialization complete.");

    // ---------- Processes ----------

    kernel::process::load_processes(
        board_kernel,
        chip,
        core::slice::from_raw_parts(
            addr_of!(_sapps),
            addr_of!(_eapps) as usize - addr_of!(_sapps) as usize,
        ),
        core::slice::from_raw_parts_mut(
            addr_of_mut!(_sappmem),
            addr_of!(_eappmem) as usize - addr_of!(_sappmem) as usize,
        ),
        &mut *addr_of_mut!(PROCESSES),
        &FAULT_RESPONSE,
        &process_management,
    )
    .unwrap_or_else(|err| {
        debug!("Error loading processes!");
        debug!("{:?}", err);
    });

    idle_watcher.start();

    (board_kernel, platform, chip)
}

/// The capability the idle watcher needs to look at processes.
struct IdleCapability;
// SAFETY: only the board creates this type, for the idle watcher, which only
// reads process states and names.
unsafe impl capabilities::ProcessManagementCapability for IdleCapability {}

/// Entry point, called by the RISC-V start code once RAM is initialised.
///
/// # Safety
///
/// Called exactly once, by the reset code.
#[no_mangle]
pub unsafe fn main() {
    let main_loop_capability = create_capability!(capabilities::MainLoopCapability);
    let (board_kernel, platform, chip) = start();
    board_kernel.kernel_loop(&platform, chip, Some(&platform.ipc), &main_loop_capability);
}
