//! A natural-looking synthetic picture for benchmarks: sky gradient, sun, textured hills,
//! trees and sensor noise. JPEG cost depends on content (flat colour decodes far faster
//! than a camera picture), so a benchmark needs detail at every scale, as a camera sees.

/// Deterministic hash noise in 0..1.
fn hash(x: i32, y: i32, seed: u32) -> f32 {
    let mut h = (x as u32).wrapping_mul(0x27d4_eb2d)
        ^ (y as u32).wrapping_mul(0x1656_67b1)
        ^ seed.wrapping_mul(0x9e37_79b9);
    h ^= h >> 15;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    (h & 0xffff) as f32 / 65535.0
}

/// Smooth value noise with `octaves` octaves, roughly 0..1.
fn fbm(x: f32, y: f32, octaves: u32, seed: u32) -> f32 {
    let (mut sum, mut amp, mut freq, mut norm) = (0.0, 1.0, 1.0, 0.0);
    for o in 0..octaves {
        let (fx, fy) = (x * freq, y * freq);
        let (ix, iy) = (fx.floor() as i32, fy.floor() as i32);
        let (tx, ty) = (fx - fx.floor(), fy - fy.floor());
        let (sx, sy) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
        let s = seed + o;
        let a = hash(ix, iy, s) + (hash(ix + 1, iy, s) - hash(ix, iy, s)) * sx;
        let b = hash(ix, iy + 1, s) + (hash(ix + 1, iy + 1, s) - hash(ix, iy + 1, s)) * sx;
        sum += (a + (b - a) * sy) * amp;
        norm += amp;
        amp *= 0.5;
        freq *= 2.0;
    }
    sum / norm
}

/// An RGB picture of `width` x `height`; `t` (seconds) moves the clouds and the sun, so
/// consecutive frames differ as a camera's do.
pub fn picture(width: usize, height: usize, t: f32) -> Vec<u8> {
    let mut rgb = vec![0u8; width * height * 3];
    let scale = 1.0 / height as f32;
    let sun = (0.25 * width as f32 * scale + 0.02 * t, 0.22);
    for y in 0..height {
        for x in 0..width {
            let (u, v) = (x as f32 * scale, y as f32 * scale);
            let horizon = 0.55 + 0.08 * (u * 3.1 + 0.7).sin() + 0.05 * fbm(u * 2.0, 0.0, 3, 7);
            let mut c = if v < horizon {
                // Sky: gradient, clouds, sun.
                let g = v / horizon;
                let cloud = (fbm(u * 3.0 + t * 0.05, v * 6.0, 5, 1) - 0.45).max(0.0) * 2.2;
                let mut c = [
                    70.0 + 120.0 * g + 150.0 * cloud,
                    120.0 + 90.0 * g + 135.0 * cloud,
                    210.0 + 30.0 * g + 20.0 * cloud,
                ];
                let d = ((u - sun.0).powi(2) + (v - sun.1).powi(2)).sqrt();
                if d < 0.05 {
                    c = [255.0, 244.0, 200.0];
                } else if d < 0.2 {
                    let glow = (0.2 - d) / 0.15;
                    c = [c[0] + 60.0 * glow, c[1] + 45.0 * glow, c[2] + 10.0 * glow];
                }
                c
            } else {
                // Hills: grass texture darkening towards the viewer, a few trees.
                let depth = (v - horizon) / (1.0 - horizon + 1e-3);
                let grass = fbm(u * 40.0, v * 60.0, 4, 3);
                let field = fbm(u * 4.0, v * 3.0, 3, 5);
                let mut c = [
                    40.0 + 70.0 * field + 50.0 * grass - 30.0 * depth,
                    90.0 + 80.0 * field + 60.0 * grass - 40.0 * depth,
                    30.0 + 30.0 * grass,
                ];
                let tree = fbm(u * 12.0, v * 12.0, 4, 9);
                if tree > 0.68 && depth < 0.5 {
                    c = [25.0 + 40.0 * grass, 50.0 + 50.0 * grass, 20.0];
                }
                c
            };
            // Sensor noise, as every camera has.
            let n = (hash(x as i32, y as i32, (t * 30.0) as u32) - 0.5) * 10.0;
            for ch in &mut c {
                *ch += n;
            }
            let i = (y * width + x) * 3;
            for k in 0..3 {
                rgb[i + k] = c[k].clamp(0.0, 255.0) as u8;
            }
        }
    }
    rgb
}

/// [`picture`] as a baseline JPEG with 4:2:0 chroma, as cameras encode it.
pub fn jpeg(width: usize, height: usize, t: f32, quality: u8) -> Vec<u8> {
    let rgb = picture(width, height, t);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    encoder
        .encode(
            &rgb,
            u16::try_from(width).expect("width fits in a JPEG"),
            u16::try_from(height).expect("height fits in a JPEG"),
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encoding to memory cannot fail");
    out
}
