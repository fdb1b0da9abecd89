//! The firmware's `carve` (`firmware/src/carve.rs`, the one `unsafe` helper of the
//! firmware outside board support) built for the host, so that Miri (`scripts/miri.sh`)
//! checks its pointer arithmetic, alignment and borrows: the firmware crate itself only
//! builds for the Cortex-M4, where Miri cannot run.

#[path = "../../../firmware/src/carve.rs"]
mod carve;

use carve::carve;

#[test]
fn carved_arrays_are_aligned_initialised_and_disjoint() {
    let mut buf = [0xaau8; 160];
    // Every misalignment of the buffer's start.
    for start in 0..8 {
        let bytes = &mut buf[start..start + 150];
        let base = bytes.as_ptr() as usize;
        let (words, rest) = carve(bytes, 5, || 7u64).unwrap();
        let pad = words.as_ptr() as usize - base;
        assert!(
            pad < 8 && (words.as_ptr() as usize).is_multiple_of(8),
            "start {start}"
        );
        assert_eq!(words, &[7; 5]);
        let rest_len = rest.len();
        assert_eq!(rest_len, 150 - pad - 40);
        let (pairs, rest) = carve(rest, 3, || (1u8, 2u32)).unwrap();
        assert!((pairs.as_ptr() as usize).is_multiple_of(4));
        assert_eq!(pairs, &[(1, 2); 3]);
        // Writes through each part leave the others as they were.
        rest.fill(0x55);
        words[4] = 9;
        pairs[2].1 = 5;
        assert_eq!(words, &[7, 7, 7, 7, 9]);
        assert_eq!(pairs, &[(1, 2), (1, 2), (1, 5)]);
        assert!(rest.iter().all(|&b| b == 0x55));
        assert!(rest.len() <= rest_len - 24);
    }
}

#[test]
fn what_does_not_fit_is_none() {
    // 32 bytes starting 8-aligned (a byte array itself need not be).
    let mut buf = [0u8; 40];
    let at = buf.as_ptr().align_offset(8);
    let bytes = &mut buf[at..at + 32];
    // Exactly four u64s fit, not five.
    assert!(carve(&mut bytes[..], 5, || 0u64).is_none());
    let (all, rest) = carve(&mut bytes[..], 4, || 1u64).unwrap();
    assert_eq!((all.len(), rest.len()), (4, 0));
    // One byte in: the padding leaves room for three.
    assert!(carve(&mut bytes[1..], 4, || 0u64).is_none());
    assert_eq!(carve(&mut bytes[1..], 3, || 0u64).unwrap().1.len(), 0);
    // A count whose size overflows, and none at all.
    assert!(carve(&mut bytes[..], usize::MAX / 4, || 0u64).is_none());
    let (none, rest) = carve(&mut bytes[..], 0, || 0u64).unwrap();
    assert_eq!((none.len(), rest.len()), (0, 32));
}

#[test]
fn carved_slots_hold_references_into_other_buffers() {
    // As the spec image carves `Option<&mut [u8]>` memories beside its instance slots.
    let mut window = [0u8; 256];
    let mut memories = [[0u8; 16]; 3];
    let (slots, rest) = carve(&mut window, 3, || None::<&mut [u8]>).unwrap();
    for (slot, memory) in slots.iter_mut().zip(memories.iter_mut()) {
        *slot = Some(&mut memory[..]);
    }
    for (i, slot) in slots.iter_mut().enumerate() {
        slot.as_mut().unwrap()[i] = i as u8 + 1;
    }
    rest.fill(0xff);
    assert_eq!(memories[2][2], 3);
    assert_eq!(memories[0][..2], [1, 0]);
}
