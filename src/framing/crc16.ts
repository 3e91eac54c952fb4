// CRC-16/CCITT-FALSE (a.k.a. CRC-16/IBM-3740): poly 0x1021, init 0xFFFF, no reflection,
// xorout 0; check value crc16("123456789") = 0x29B1 (the Rocksoft/Williams parameter model,
// "A Painless Guide to CRC Error Detection Algorithms" §15). The framed MQTT-SN serial modes
// (docs/contract.md §4.2, `slip` and `cobs`) append it big-endian after the packet.
//
// Table-driven, one byte per step. The table is computed once and never written again.

const TABLE = ((): Uint16Array => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[n] = crc & 0xffff;
  }
  return table;
})();

/** CRC-16/CCITT-FALSE of buf[start, end). */
export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ buf[i]!) & 0xff]!;
  return crc;
}
