// Window helpers shared by the backward passes of im2col (col2im) and pooling, which gather
// for each input pixel the outputs whose windows cover it. src/kernels/im2col.ts and
// src/kernels/pool.ts append this file to their shader's text.

// The first output index whose window, of `size` taps at `stride`, covers padded position p
// (p = input index + padding before it): the least o with o*stride + size - 1 ≥ p.
fn firstWindow(p: u32, size: u32, stride: u32) -> u32 {
  if (p < size) { return 0u; }
  return (p - size + stride) / stride;
}

// The last output index, below `count`, whose window starts at or before padded position p.
fn lastWindow(p: u32, stride: u32, count: u32) -> u32 {
  return min(p / stride, count - 1u);
}
