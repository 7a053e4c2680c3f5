//! The JPEG markers every reader of a frame needs: where it starts, ends and its scan
//! begins, and which markers carry no length.

pub(super) const SOI: u8 = 0xD8;
pub(super) const EOI: u8 = 0xD9;
pub(super) const SOS: u8 = 0xDA;

/// Markers that stand alone, with no length field: TEM and the restart markers.
pub(super) fn is_standalone(marker: u8) -> bool {
    marker == 0x01 || (0xD0..=0xD7).contains(&marker)
}
