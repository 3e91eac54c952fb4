// The STK500v1 bytes an Arduino bootloader (optiboot, ATmegaBOOT) answers: the subset of Atmel
// application note AVR061 "STK500 Communication Protocol" (Rev. 2525B–AVR–04/03) that avrdude's
// `-c arduino` sends. Shared by the programmer (stk500v1.ts) and the tests' bootloader model,
// so both speak from one table.

/** AVR061 "Get Synchronization": the programmer's hello. */
export const CMND_GET_SYNC = 0x30;
/** AVR061 "Get Parameter Value" (optiboot answers its version for 0x81/0x82, else 0x03). */
export const CMND_GET_PARAMETER = 0x41;
/** AVR061 "Set Device Programming Parameters": 20 parameter bytes, ignored by optiboot. */
export const CMND_SET_DEVICE = 0x42;
/** AVR061 "Set Extended Device Programming Parameters": 5 bytes for optiboot. */
export const CMND_SET_DEVICE_EXT = 0x45;
/** AVR061 "Enter Program Mode". */
export const CMND_ENTER_PROGMODE = 0x50;
/** AVR061 "Leave Program Mode": optiboot then lets its watchdog reset into the sketch. */
export const CMND_LEAVE_PROGMODE = 0x51;
/** AVR061 "Load Address": a word address for flash, low byte first. */
export const CMND_LOAD_ADDRESS = 0x55;
/** AVR061 "Universal Command": four raw ISP bytes; optiboot answers 0x00. */
export const CMND_UNIVERSAL = 0x56;
/** AVR061 "Program Page": bytes_high, bytes_low, memtype, data. */
export const CMND_PROG_PAGE = 0x64;
/** AVR061 "Read Page": bytes_high, bytes_low, memtype. */
export const CMND_READ_PAGE = 0x74;
/** AVR061 "Read Signature Bytes": three bytes, high first. */
export const CMND_READ_SIGN = 0x75;

/** AVR061: every command ends with this byte. */
export const SYNC_CRC_EOP = 0x20;
/** AVR061: the first byte of every answer to a well-formed command. */
export const RESP_INSYNC = 0x14;
/** AVR061: the last byte of a successful answer. */
export const RESP_OK = 0x10;
/** AVR061: the answer to a command that did not end in Sync_CRC_EOP. */
export const RESP_NOSYNC = 0x15;

/** AVR061 memtype of Program Page / Read Page: 'F' flash ('E' is EEPROM). */
export const MEMTYPE_FLASH = 0x46;

/** The commands' names, for messages ("the bootloader answered PROG_PAGE with …"). */
export const COMMAND_NAMES: Readonly<Record<number, string>> = {
  [CMND_GET_SYNC]: 'GET_SYNC',
  [CMND_GET_PARAMETER]: 'GET_PARAMETER',
  [CMND_SET_DEVICE]: 'SET_DEVICE',
  [CMND_SET_DEVICE_EXT]: 'SET_DEVICE_EXT',
  [CMND_ENTER_PROGMODE]: 'ENTER_PROGMODE',
  [CMND_LEAVE_PROGMODE]: 'LEAVE_PROGMODE',
  [CMND_LOAD_ADDRESS]: 'LOAD_ADDRESS',
  [CMND_UNIVERSAL]: 'UNIVERSAL',
  [CMND_PROG_PAGE]: 'PROG_PAGE',
  [CMND_READ_PAGE]: 'READ_PAGE',
  [CMND_READ_SIGN]: 'READ_SIGN',
};
