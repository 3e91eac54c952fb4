/*
 * hil/harness.c — one emulated Arduino Uno (ATmega328P at 16 MHz) on a fresh pty.
 *
 *   harness [--reset-on-open] [--pins] [--bootloader boot.hex] firmware.elf
 *
 * Runs an ELF built by hil/build-firmware.sh in libsimavr and makes its UART0 look like
 * the Uno's USB serial port:
 *
 *   - creates a pseudo-terminal with openpty(), puts the slave side in raw mode and prints
 *     the slave's path (e.g. /dev/pts/7) as the first and only line on stdout;
 *   - keeps the chip in reset until someone opens that path for the first time, so the
 *     opener sees the firmware from its first byte (like plugging in a board);
 *   - copies every byte the firmware transmits to the pty, and feeds bytes written to the
 *     pty into the emulated receiver no faster than the configured baud rate allows
 *     (115200 8N1 on an Uno is about 11,700 bytes/s) and only while the emulated UART can
 *     take them, so the core's 64-byte receive buffer sees real serial timing;
 *   - paces the emulated clock to the wall clock: millis() and delay() take real time;
 *   - with --reset-on-open, resets the chip each time the pty is opened again after having
 *     been closed, like the Uno's DTR auto-reset;
 *   - with --bootloader, runs a bootloader (Intel HEX, in the boot section 0x7E00–0x7FFF:
 *     optiboot from hil/build-bootloader.sh) as an Uno's fuses do (BOOTRST programmed,
 *     BOOTSZ = 256 words): every reset starts it at 0x7E00, and it finds the cause in MCUSR
 *     (datasheet §11.9.1) — PORF at the first open (power-on), EXTRF at a reset on open (the
 *     DTR pulse), WDRF after a watchdog reset. Flash it rewrites with SPM (avrdude through
 *     the pty, like the Arduino IDE's upload) is kept across resets until the harness exits;
 *   - prints `harness: watchdog reset` on stderr whenever the watchdog resets the chip;
 *   - with --pins, prints `PIN D13 1` on stderr whenever a digital pin (D2–D13, A0–A5)
 *     changes level as written by the firmware;
 *   - exits 0 on SIGTERM or SIGINT, closing the pty (the opener sees a hang-up, like an
 *     unplugged board), and 1 if the firmware cannot be loaded or the core stops.
 *
 * Everything else it or libsimavr has to say goes to stderr, so stdout stays one line.
 *
 * How it works. One thread. The emulator runs in slices of SLICE_US emulated microseconds;
 * after each slice the harness writes what the UART sent to the pty master, compares the
 * emulated time (cycles / 16 MHz since the last start or reset) with the monotonic clock
 * and, while ahead, sleeps in ppoll() on the master so that input wakes it early. Opens
 * and closes of the slave are seen on the master: Linux reports POLLHUP there exactly
 * while no process has the slave open (see pty_state()). Bytes from the pty wait in a
 * small queue and a simavr cycle timer hands them to the UART one frame time apart. Every
 * reset cancels libsimavr's cycle timers, so a hook on the core's reset re-arms that one.
 *
 * Known differences from the hardware: libsimavr's receiver holds up to 64 bytes where the
 * chip holds 2, so while the firmware keeps interrupts disabled for more than two frame
 * times (e.g. a bit-banged sensor read) bytes wait there (and, once it is full, in the
 * harness) instead of being lost to an overrun. Without --bootloader the sketch starts at once
 * after a reset, rather than after optiboot's. With it, SPM's page erase and page write take
 * no time (the chip halts ~4 ms for each), so an upload is a little faster than on a board;
 * a watchdog reset leaves only WDRF in MCUSR (libsimavr clears the other flags; the chip
 * keeps them until software clears them — optiboot clears MCUSR at every start anyway).
 * Linux only (pty hang-up semantics, PR_SET_PDEATHSIG).
 *
 * Build with hil/build-harness.sh (needs libsimavr-dev and libelf-dev).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sim_avr.h>
#include <sim_elf.h>
#include <avr_ioport.h>
#include <avr_uart.h>
#include <avr_watchdog.h>

#define MCU "atmega328p"
#define F_CPU 16000000UL

/* Emulated time run between two looks at the pty and the clock: the latency it adds to
 * every byte, and 1,000 wake-ups per second. */
#define SLICE_US 1000
/* Behind real time (the host did not schedule us), the harness runs without sleeping
 * until it has caught up, so emulated time stays true over the long run. Further behind
 * than this (process stopped, host swamped) it restarts its pacing from now instead of
 * running flat out for long. */
#define MAX_LAG_NS (1000 * 1000000LL)
/* How often the slave's state is checked while nobody has it open (poll() cannot wait for
 * an open: it reports POLLHUP at once while the slave is closed). */
#define CLOSED_CHECK_NS (2 * 1000000LL)

/* ATmega328P USART0 registers, data-space addresses (datasheet §20.11). simavr keeps the
 * values the firmware wrote in avr->data, so the harness reads the line settings there. */
#define UCSR0A 0xC0
#define UCSR0B 0xC1
#define UCSR0C 0xC2
#define UBRR0L 0xC4
#define UBRR0H 0xC5
#define U2X0 1
#define RXEN0 4
#define UCSZ02 2
#define UCSZ00 1
#define USBS0 3
#define UPM00 4

/* MCUSR, the reset cause (datasheet §11.9.1), at data-space address 0x54: a flag stays set
 * until a power-on reset or the software clears it. */
#define MCUSR 0x54
#define EXTRF 1
/* WDTCSR, the watchdog's control register (§11.9.2), at 0x60. */
#define WDTCSR 0x60
#define WDP0 0
#define WDE 3
#define WDP3 5
#define WDIE 6

/* The Uno's fuses (boards.txt: high fuse 0xDE) program BOOTRST and BOOTSZ = 256 words: the
 * boot section is the top 512 bytes of flash and every reset starts there (§26 Boot Loader
 * Support). */
#define BOOT_START 0x7E00
#define FLASH_END 0x7FFF
#define BOOT_SIZE (FLASH_END + 1 - BOOT_START)
/* The longest Intel HEX record: ':' and 255 data bytes and 5 more, two digits each (521
 * characters); a line may add CR LF. */
#define HEX_RECORD_MAX 521
#define HEX_LINE_MAX (HEX_RECORD_MAX + 2)

/* Bytes read from the pty and not yet fed to the UART. Kept small on purpose: when it is
 * full the harness stops reading, the pty's own buffer fills and the writer blocks, so a
 * fast writer is slowed to the baud rate instead of being buffered without limit. */
#define RX_QUEUE 256
/* Bytes the firmware sent that the pty has not taken yet (its reader is slow). Beyond this
 * they are dropped and counted, as a USB serial chip with nobody reading would. */
#define TX_QUEUE 65536

static volatile sig_atomic_t stop_requested = 0;

static avr_t *avr;
static avr_uart_t *uart0;
static avr_irq_t *uart_input_irq;
static bool uart_full;   /* simavr's receive FIFO is full (UART_IRQ_OUT_XOFF) */
static bool feeding;     /* the feed_uart cycle timer is armed */

static uint8_t rx_queue[RX_QUEUE];
static size_t rx_head, rx_count;
static uint8_t tx_queue[TX_QUEUE];
static size_t tx_head, tx_count;
static unsigned long tx_dropped, rx_dropped;

static void (*core_reset)(avr_t *); /* libsimavr's own reset hook for the core */
static bool resetting_on_open;       /* the harness is resetting the chip, not the watchdog */
static unsigned watchdog_resets;     /* resets not yet reported on stderr */
static uint8_t watchdog_prescaler;   /* WDP3..0 as last written (0 after every reset) */

static bool report_pins;
static int pin_level[3][8]; /* last level printed per port B, C, D and bit; -1 = none yet */

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static struct timespec to_timespec(int64_t ns) {
  struct timespec t = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
  return t;
}

static int64_t cycles_to_ns(avr_cycle_count_t cycles) {
  return (int64_t)(cycles * 1000ULL / (F_CPU / 1000000ULL));
}

/* ------------------------------------------------------------------ UART0 → pty */

/* UART_IRQ_OUTPUT: the firmware wrote a byte to UDR0. simavr already spaces these by the
 * byte time (it raises "data register empty" one byte later), so they are queued as is. */
static void on_uart_output(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  (void)param;
  if (tx_count == TX_QUEUE) {
    tx_dropped++;
    return;
  }
  tx_queue[(tx_head + tx_count) % TX_QUEUE] = (uint8_t)value;
  tx_count++;
}

/* Writes what the pty takes; keeps the rest. When nobody has the slave open the bytes
 * are dropped, as they are when no program has a real board's port open. */
static void flush_tx(int master, bool slave_open) {
  if (!slave_open) {
    tx_head = tx_count = 0;
    return;
  }
  while (tx_count > 0) {
    size_t run = tx_count;
    if (tx_head + run > TX_QUEUE) run = TX_QUEUE - tx_head;
    ssize_t n = write(master, tx_queue + tx_head, run);
    if (n <= 0) return; /* EAGAIN: reader is slow; EIO: just closed (seen next poll) */
    tx_head = (tx_head + (size_t)n) % TX_QUEUE;
    tx_count -= (size_t)n;
  }
  tx_head = 0;
}

/* ------------------------------------------------------------------ pty → UART0 */

/* UART_IRQ_OUT_XOFF is raised with 1 when simavr's receive FIFO fills, with 0 once the
 * firmware has drained it; UART_IRQ_OUT_XON (1) also means "room again". */
static void on_uart_xoff(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  (void)param;
  uart_full = value != 0;
}

static void on_uart_xon(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  (void)param;
  if (value) uart_full = false;
}

/* Cycles one frame takes on the wire with the settings the firmware programmed:
 * start bit + data bits + parity bit + stop bits, each (UBRR0 + 1) · (U2X0 ? 8 : 16)
 * clock cycles (datasheet table 20-1). Arduino's Serial.begin(115200) on 16 MHz sets
 * U2X0 and UBRR0 = 16, so a byte takes 1,360 cycles = 85 µs. */
static avr_cycle_count_t frame_cycles(void) {
  const uint8_t *d = avr->data;
  uint32_t ubrr = (uint32_t)((d[UBRR0H] & 0x0F) << 8) | d[UBRR0L];
  uint32_t per_bit = (ubrr + 1) * ((d[UCSR0A] & (1 << U2X0)) ? 8 : 16);
  uint32_t size = ((d[UCSR0C] >> UCSZ00) & 3) | ((d[UCSR0B] & (1 << UCSZ02)) ? 4 : 0);
  uint32_t data_bits = size <= 3 ? 5 + size : (size == 7 ? 9 : 8);
  uint32_t parity = ((d[UCSR0C] >> UPM00) & 3) ? 1 : 0;
  uint32_t stop = (d[UCSR0C] & (1 << USBS0)) ? 2 : 1;
  return (avr_cycle_count_t)per_bit * (1 + data_bits + parity + stop);
}

/* libsimavr paces UART0 in both directions by uart0->cycles_per_byte, which it computes
 * when UBRR0 is written — always counting a parity bit (11 bits: 93.5 µs a byte at
 * 115200 instead of 85 µs). Called after every slice, this keeps it at the real frame
 * time, so transfers run at an Uno's rate (~11,760 bytes/s at "115200"). */
static void sync_uart_timing(void) {
  if (uart0 == NULL) return;
  avr_cycle_count_t frame = frame_cycles();
  if (uart0->cycles_per_byte != frame) uart0->cycles_per_byte = frame;
}

/* UART0's state inside libsimavr: the avr_io_t whose kind is "uart" and name '0'. The
 * struct layout comes from the same libsimavr version the harness links statically. */
static avr_uart_t *find_uart0(void) {
  for (avr_io_t *io = avr->io_port; io != NULL; io = io->next) {
    if (io->kind != NULL && strcmp(io->kind, "uart") == 0 && ((avr_uart_t *)io)->name == '0')
      return (avr_uart_t *)io;
  }
  return NULL;
}

/* Cycle timer, once per frame time while bytes wait: hands the next byte to the UART,
 * unless its FIFO is full (then the byte waits a frame). A byte arriving while the
 * receiver is disabled (before Serial.begin) is lost, as on the real chip. */
static avr_cycle_count_t feed_uart(avr_t *a, avr_cycle_count_t when, void *param) {
  (void)param;
  if (rx_count == 0) {
    feeding = false;
    return 0;
  }
  if (!uart_full) {
    uint8_t byte = rx_queue[rx_head];
    rx_head = (rx_head + 1) % RX_QUEUE;
    rx_count--;
    if (a->data[UCSR0B] & (1 << RXEN0))
      avr_raise_irq(uart_input_irq, byte);
    else
      rx_dropped++;
  }
  return when + frame_cycles();
}

/* Reads what fits into rx_queue and starts the feeder. */
static void read_pty(int master) {
  while (rx_count < RX_QUEUE) {
    size_t tail = (rx_head + rx_count) % RX_QUEUE;
    size_t room = RX_QUEUE - rx_count;
    if (tail + room > RX_QUEUE) room = RX_QUEUE - tail;
    ssize_t n = read(master, rx_queue + tail, room);
    if (n <= 0) break; /* EAGAIN, or EIO when the slave was just closed */
    rx_count += (size_t)n;
  }
  if (rx_count > 0 && !feeding) {
    feeding = true;
    /* The first byte is complete one frame time after it started arriving. */
    avr_cycle_timer_register(avr, frame_cycles(), feed_uart, NULL);
  }
}

/* ------------------------------------------------------------------ resets */

/* Runs inside every avr_reset() — the harness's on an open, libsimavr's when the watchdog
 * fires — after libsimavr has cancelled all cycle timers, the feeder's among them. Bytes
 * still waiting keep arriving, as they do from the Uno's USB chip, and reach a UART the
 * restarted firmware has not enabled yet: lost there, as on the chip (feed_uart). */
static void on_chip_reset(avr_t *a) {
  if (core_reset != NULL) core_reset(a);
  uart_full = false;
  feeding = rx_count > 0;
  if (feeding) avr_cycle_timer_register(a, frame_cycles(), feed_uart, NULL);
  if (!resetting_on_open) watchdog_resets++;
  watchdog_prescaler = 0;
}

/* Runs after libsimavr's own WDTCSR handler. libsimavr 1.6 (and upstream, July 2026) compares
 * the new prescaler with itself when the timed sequence changes it, so a running watchdog
 * keeps its old period: optiboot's switch from 1 s to 16 ms after the upload ('Q') would
 * start the new sketch ~1 s late. On the chip the new period applies at once (§11.8 warns
 * that a shorter one can time out at once); re-arming the timer as a WDR instruction does
 * gives that. */
static void on_watchdog_write(avr_t *a, avr_io_addr_t addr, uint8_t v, void *param) {
  (void)addr;
  (void)v;
  (void)param;
  uint8_t control = a->data[WDTCSR];
  uint8_t prescaler = (uint8_t)(((control >> WDP0) & 7) | (((control >> WDP3) & 1) << 3));
  bool running = control & ((1 << WDE) | (1 << WDIE));
  if (running && prescaler != watchdog_prescaler) avr_ioctl(a, AVR_IOCTL_WATCHDOG_RESET, NULL);
  watchdog_prescaler = prescaler;
}

/* The Uno's DTR auto-reset: a pulse on the RESET pin, so EXTRF joins the flags the software
 * has not cleared (libsimavr's avr_reset() clears every I/O register, MCUSR included). */
static void external_reset(void) {
  uint8_t flags = avr->data[MCUSR];
  resetting_on_open = true;
  avr_reset(avr);
  resetting_on_open = false;
  avr->data[MCUSR] = flags | (1 << EXTRF);
}

/* ------------------------------------------------------------------ bootloader */

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Reads `path` (Intel HEX) into the boot section, refusing what a programmer would not write:
 * a bad record or checksum, a byte outside 0x7E00–0x7FFF or written twice, no code at the
 * reset address 0x7E00, no end-of-file record. Prints why and returns false. */
static bool load_bootloader(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "harness: cannot open %s: %s\n", path, strerror(errno));
    return false;
  }
  static uint8_t image[BOOT_SIZE];
  static bool written[BOOT_SIZE];
  memset(image, 0xFF, sizeof image); /* erased flash */
  char line[HEX_LINE_MAX + 2];
  uint32_t base = 0; /* from extended segment (02) or linear (04) address records */
  unsigned number = 0;
  bool end = false;
  const char *error = NULL;
  while (error == NULL && !end && fgets(line, sizeof line, f) != NULL) {
    number++;
    size_t length = strcspn(line, "\r\n");
    if ((line[length] == '\0' && !feof(f)) || length > HEX_RECORD_MAX) {
      error = "longer than any record";
      break;
    }
    if (length == 0) continue;
    uint8_t record[HEX_RECORD_MAX / 2];
    size_t count = (length - 1) / 2;
    if (line[0] != ':' || length % 2 == 0 || count < 5) {
      error = "not a record (':' and pairs of hex digits)";
      break;
    }
    uint8_t sum = 0;
    for (size_t i = 0; i < count && error == NULL; i++) {
      int high = hex_digit(line[1 + 2 * i]), low = hex_digit(line[2 + 2 * i]);
      if (high < 0 || low < 0) {
        error = "not a hex digit";
        break;
      }
      record[i] = (uint8_t)(high << 4 | low);
      sum = (uint8_t)(sum + record[i]);
    }
    if (error != NULL) break;
    if (record[0] != count - 5) error = "byte count does not match the record's length";
    else if (sum != 0) error = "checksum mismatch";
    if (error != NULL) break;
    uint32_t address = base + ((uint32_t)record[1] << 8 | record[2]);
    const uint8_t *data = record + 4;
    switch (record[3]) {
    case 0x00:
      for (size_t i = 0; i < record[0] && error == NULL; i++) {
        uint32_t at = address + (uint32_t)i;
        if (at < BOOT_START || at > FLASH_END) error = "data outside the boot section 0x7E00-0x7FFF";
        else if (written[at - BOOT_START]) error = "writes a byte an earlier record wrote";
        else {
          image[at - BOOT_START] = data[i];
          written[at - BOOT_START] = true;
        }
      }
      break;
    case 0x01: end = true; break;
    case 0x02: base = ((uint32_t)data[0] << 8 | data[1]) << 4; break;
    case 0x04: base = ((uint32_t)data[0] << 8 | data[1]) << 16; break;
    case 0x03: /* start segment address: the reset vector decides where code starts */
    case 0x05: break; /* start linear address: likewise */
    default: error = "unknown record type";
    }
  }
  fclose(f);
  if (error == NULL && !end) error = "no end-of-file record";
  if (error == NULL && !written[0]) error = "no code at the reset address 0x7E00";
  if (error != NULL) {
    fprintf(stderr, "harness: %s line %u: %s\n", path, number, error);
    return false;
  }
  avr_loadcode(avr, image, BOOT_SIZE, BOOT_START);
  return true;
}

/* ------------------------------------------------------------------ pins */

static const char PORT_NAMES[3] = {'B', 'C', 'D'};

/* Arduino Uno names of ATmega328P port bits (variants/standard/pins_arduino.h). */
static void pin_name(int port, int bit, char *out, size_t size) {
  switch (PORT_NAMES[port]) {
  case 'D': snprintf(out, size, "D%d", bit); break;      /* PD0..PD7 = D0..D7 */
  case 'B': snprintf(out, size, "D%d", bit + 8); break;  /* PB0..PB5 = D8..D13 */
  default: snprintf(out, size, "A%d", bit); break;       /* PC0..PC5 = A0..A5 */
  }
}

/* IOPORT pin IRQ: the level the firmware drives (or pulls up) on one pin. simavr raises
 * it on every PORTx write, so repeats are filtered here. */
static void on_pin(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  int id = (int)(intptr_t)param;
  int port = id / 8, bit = id % 8;
  int level = value ? 1 : 0;
  if (pin_level[port][bit] == level) return;
  pin_level[port][bit] = level;
  char name[8];
  pin_name(port, bit, name, sizeof name);
  fprintf(stderr, "PIN %s %d\n", name, level);
}

static void watch_pins(void) {
  for (int port = 0; port < 3; port++) {
    avr_irq_t *base = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(PORT_NAMES[port]), 0);
    for (int bit = 0; bit < 8; bit++) {
      pin_level[port][bit] = -1;
      bool used = PORT_NAMES[port] == 'D' ? bit >= 2 /* D0/D1 are the UART */ : bit <= 5;
      if (base == NULL || !used) continue;
      avr_irq_register_notify(base + bit, on_pin, (void *)(intptr_t)(port * 8 + bit));
    }
  }
}

/* ------------------------------------------------------------------ pty */

/* Creates the pty and returns the master (non-blocking). The slave is set raw, with no
 * echo (an echoing slave would send every byte the firmware prints straight back into its
 * receiver), and then closed: from here on the master reports POLLHUP exactly while no
 * process has the slave open, which is how opens and closes are detected. */
static int make_pty(char *slave_path, size_t size) {
  int master, slave;
  char name[256];
  if (openpty(&master, &slave, name, NULL, NULL) != 0) {
    perror("harness: openpty");
    return -1;
  }
  struct termios t;
  if (tcgetattr(slave, &t) == 0) {
    cfmakeraw(&t);
    cfsetispeed(&t, B115200);
    cfsetospeed(&t, B115200);
    tcsetattr(slave, TCSANOW, &t);
  }
  close(slave);
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  fcntl(master, F_SETFD, FD_CLOEXEC);
  snprintf(slave_path, size, "%s", name);
  return master;
}

/* The master's poll state right now: POLLHUP while no process has the slave open (Linux
 * sets TTY_OTHER_CLOSED on the master when the last slave descriptor closes and clears it
 * when the slave is opened again), POLLIN when bytes wait and rx_queue has room. */
static short pty_state(int master) {
  struct pollfd p = {.fd = master, .events = rx_count < RX_QUEUE ? POLLIN : 0};
  return poll(&p, 1, 0) > 0 ? p.revents : 0;
}

/* Sleeps up to `ns` while the slave is open, waking early for input (unless rx_queue is
 * full) or a hang-up. While it is closed poll() would return at once, so plain sleep. */
static void wait_io(int master, bool slave_open, int64_t ns) {
  if (ns < 0) ns = 0;
  struct timespec t = to_timespec(ns);
  if (!slave_open) {
    if (ns > 0) nanosleep(&t, NULL);
    return;
  }
  struct pollfd p = {.fd = master, .events = rx_count < RX_QUEUE ? POLLIN : 0};
  ppoll(&p, 1, &t, NULL);
}

/* ------------------------------------------------------------------ main */

static void sleep_ignored(avr_t *a, avr_cycle_count_t how_long) {
  /* simavr calls this when the firmware executes SLEEP; its default usleep()s. The
   * emulated cycle counter has already been advanced, and the pacing in main() sleeps
   * for it, so there is nothing to do here. */
  (void)a;
  (void)how_long;
}

static int usage(void) {
  fprintf(stderr, "usage: harness [--reset-on-open] [--pins] [--bootloader boot.hex] firmware.elf\n");
  return 2;
}

int main(int argc, char **argv) {
  bool reset_on_open = false;
  const char *elf = NULL, *bootloader = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--reset-on-open") == 0) reset_on_open = true;
    else if (strcmp(argv[i], "--pins") == 0) report_pins = true;
    else if (strcmp(argv[i], "--bootloader") == 0 && i + 1 < argc) bootloader = argv[++i];
    else if (argv[i][0] == '-' || elf != NULL) return usage();
    else elf = argv[i];
  }
  if (elf == NULL) return usage();

  /* stdout carries only the pty path: keep the real stdout aside and point fd 1 at
   * stderr, where libsimavr's own printf()s ("Starting atmega328p", UART baud) then go. */
  int result_fd = dup(STDOUT_FILENO);
  if (result_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    perror("harness: dup");
    return 1;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);

  /* Die with the parent (a crashed test runner must not leave boards running). */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() == 1) return 1;

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: sleeps return early on a signal */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  elf_firmware_t firmware;
  memset(&firmware, 0, sizeof firmware);
  if (elf_read_firmware(elf, &firmware) != 0 || firmware.flashsize == 0) {
    fprintf(stderr, "harness: cannot load %s as an AVR ELF\n", elf);
    return 1;
  }
  /* Arduino ELFs carry no .mmcu section: the board is fixed here. */
  snprintf(firmware.mmcu, sizeof firmware.mmcu, "%s", MCU);
  firmware.frequency = F_CPU;
  avr = avr_make_mcu_by_name(MCU);
  if (avr == NULL || avr_init(avr) != 0) {
    fprintf(stderr, "harness: libsimavr has no %s\n", MCU);
    return 1;
  }
  avr->log = LOG_ERROR;
  if (bootloader != NULL && firmware.flashbase + firmware.flashsize > BOOT_START) {
    fprintf(stderr, "harness: %s runs to 0x%04X, into the boot section at 0x%04X\n", elf,
            firmware.flashbase + firmware.flashsize - 1, BOOT_START);
    return 1;
  }
  avr_load_firmware(avr, &firmware);
  avr->frequency = F_CPU;
  avr->sleep = sleep_ignored;
  if (bootloader != NULL) {
    if (!load_bootloader(bootloader)) return 1;
    /* BOOTRST: this and every later reset starts the bootloader. avr_init() already made
     * this first start a power-on reset (PORF). */
    avr->reset_pc = BOOT_START;
    avr->pc = BOOT_START;
  }
  core_reset = avr->reset;
  avr->reset = on_chip_reset;
  avr_register_io_write(avr, WDTCSR, on_watchdog_write, NULL);

  /* UART0: no console echo of the firmware's lines (STDIO) and no usleep() when the
   * firmware polls UCSR0A (POLL_SLEEP) — pacing is done here, not inside the core. */
  uint32_t uart_flags = 0;
  avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &uart_flags);
  uart0 = find_uart0();
  if (uart0 == NULL) fprintf(stderr, "harness: UART0 not found; its timing is libsimavr's own\n");
  uart_input_irq = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
                          on_uart_output, NULL);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF),
                          on_uart_xoff, NULL);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON),
                          on_uart_xon, NULL);
  if (report_pins) watch_pins();

  char slave_path[256];
  int master = make_pty(slave_path, sizeof slave_path);
  if (master < 0) return 1;
  dprintf(result_fd, "%s\n", slave_path);
  close(result_fd);

  int exit_code = 0;
  /* The chip stays in reset until the pty is first opened. */
  while (!stop_requested && (pty_state(master) & POLLHUP)) {
    struct timespec t = to_timespec(CLOSED_CHECK_NS);
    nanosleep(&t, NULL);
  }
  if (stop_requested) goto out;
  fprintf(stderr, "harness: %s opened, %s running %s%s%s\n", slave_path, MCU, elf,
          bootloader != NULL ? " behind the bootloader " : "", bootloader != NULL ? bootloader : "");

  bool slave_open = true;
  avr_cycle_count_t base_cycle = avr->cycle; /* pacing origin: this cycle ... */
  int64_t base_ns = now_ns();                /* ... is this instant */
  const avr_cycle_count_t slice = F_CPU / 1000000UL * SLICE_US;

  while (!stop_requested) {
    /* 1. Run one slice of emulated time. */
    avr_cycle_count_t slice_end = avr->cycle + slice;
    while (avr->cycle < slice_end) {
      int cpu = avr_run(avr);
      if (cpu == cpu_Done || cpu == cpu_Crashed) {
        fprintf(stderr, "harness: the emulated %s stopped (%s)\n", MCU,
                cpu == cpu_Done ? "sleep with interrupts disabled" : "crashed");
        exit_code = 1;
        goto out;
      }
    }
    sync_uart_timing();
    flush_tx(master, slave_open);
    for (; watchdog_resets > 0; watchdog_resets--) fprintf(stderr, "harness: watchdog reset\n");

    /* 2. Sleep while ahead of the wall clock (waking for input), or catch up. */
    int64_t ahead = cycles_to_ns(avr->cycle - base_cycle) - (now_ns() - base_ns);
    if (ahead < -MAX_LAG_NS) {
      fprintf(stderr, "harness: %lld ms behind real time; pacing restarted\n",
              (long long)(-ahead / 1000000));
      base_cycle = avr->cycle;
      base_ns = now_ns();
      ahead = 0;
    }
    wait_io(master, slave_open, ahead);

    /* 3. Opens, closes and input. */
    short state = pty_state(master);
    bool open_now = !(state & POLLHUP);
    if (open_now && !slave_open) {
      if (reset_on_open) {
        /* DTR auto-reset: registers and timers cleared, the firmware (or the bootloader)
         * starts over. Bytes in flight in either direction are lost. */
        rx_head = rx_count = 0;
        tx_head = tx_count = 0;
        external_reset();
        base_cycle = avr->cycle;
        base_ns = now_ns();
        fprintf(stderr, "harness: %s reopened, %s reset\n", slave_path, MCU);
      } else {
        fprintf(stderr, "harness: %s reopened\n", slave_path);
      }
    } else if (!open_now && slave_open) {
      fprintf(stderr, "harness: %s closed\n", slave_path);
    }
    slave_open = open_now;
    if (slave_open && (state & POLLIN)) read_pty(master);
  }

out:
  if (tx_dropped > 0 || rx_dropped > 0)
    fprintf(stderr, "harness: dropped %lu byte(s) to the pty, %lu to the UART\n",
            tx_dropped, rx_dropped);
  close(master); /* the opener sees a hang-up, as when a board is unplugged */
  /* avr_terminate() is not needed: the process ends here. */
  return exit_code;
}
