// What im2col/col2im and pooling share: the geometry of a window sliding over an NHWC
// image, and helpers for their backward passes, which gather for each input pixel the
// outputs whose windows cover it. src/kernels/im2col.ts and src/kernels/pool.ts append this
// file to their shader's text; src/kernels/window.ts' windowConstants sets the constants.

// Input (N, H, W, C); window KH×KW at stride SH×SW, its taps DH×DW apart (Keras'
// dilation_rate; 1 for pooling); padding PAD_TOP and PAD_LEFT before the first row and column
// (the rest after); output (N, OH, OW, C).
override N: u32;
override H: u32;
override W: u32;
override C: u32;
override KH: u32;
override KW: u32;
override SH: u32;
override SW: u32;
override DH: u32 = 1u;
override DW: u32 = 1u;
override PAD_TOP: u32;
override PAD_LEFT: u32;
override OH: u32;
override OW: u32;
override WG: u32 = 256u;

// Channel chunks per pixel (CHUNK: 1 or 4, from the including shader's CHUNK block).
override CC: u32 = C / CHUNK;

// Rows and columns a window spans: its first tap to its last, DH (DW) apart.
override SPAN_H: u32 = (KH - 1u) * DH + 1u;
override SPAN_W: u32 = (KW - 1u) * DW + 1u;

// tapAt's answer where the window's taps step over the position.
const NO_TAP: u32 = 0xffffffffu;

// The first output index whose window, `size` positions wide (its span: (taps - 1)·dilation +
// 1), at `stride`, reaches padded position p (p = input index + padding before it): the least
// o with o*stride + size - 1 ≥ p.
fn firstWindow(p: u32, size: u32, stride: u32) -> u32 {
  if (p < size) { return 0u; }
  return (p - size + stride) / stride;
}

// The last output index, below `count`, whose window starts at or before padded position p.
fn lastWindow(p: u32, stride: u32, count: u32) -> u32 {
  return min(p / stride, count - 1u);
}

// The tap of the window at output index o (at `stride`, taps `dilation` apart) that falls on
// padded position p, for a window that reaches p (firstWindow..lastWindow); NO_TAP where the
// window's taps step over p, which happens only when `dilation` does not divide the distance.
fn tapAt(p: u32, o: u32, stride: u32, dilation: u32) -> u32 {
  let distance = p - o * stride;
  return select(NO_TAP, distance / dilation, distance % dilation == 0u);
}
