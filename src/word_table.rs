//! The word hash and the open-addressing table words are looked up by. Shared with
//! `build.rs`, which builds the common-English tables with this code and writes them out, so
//! the engine reads them as they are instead of building them at every start.

/// The hash words are looked up by: one multiply per byte, and never 0 (the empty slot).
#[inline]
pub fn word_hash(word: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in word.as_bytes() {
        hash = (hash.rotate_left(5) ^ u64::from(byte)).wrapping_mul(0x5170_80c2_1b73_6a95);
    }
    hash | 1
}

/// The slot holding `hash` in a table of `slots` (a power of two) whose hash in slot `at` is
/// `hash_at(at)`, or `None` once an empty slot is reached.
#[inline]
fn probe(slots: usize, hash: u64, hash_at: impl Fn(usize) -> u64) -> Option<usize> {
    if slots == 0 {
        return None;
    }
    let mask = slots - 1;
    let mut at = (hash as usize) & mask;
    loop {
        match hash_at(at) {
            0 => return None,
            h if h == hash => return Some(at),
            _ => at = (at + 1) & mask,
        }
    }
}

/// A map from word hashes to numbers, open addressing: a lookup is one probe in most cases,
/// with no string compared, and touches only the hashes until it finds one. Two different
/// words with the same 64-bit hash are vanishingly unlikely; the first one in is kept.
#[derive(Default, Clone)]
pub struct WordTable {
    hashes: Vec<u64>,
    values: Vec<u32>,
    len: usize,
}

impl WordTable {
    pub fn with_capacity(words: usize) -> WordTable {
        let slots = (words * 3 / 2).next_power_of_two().max(16);
        WordTable {
            hashes: vec![0; slots],
            values: vec![0; slots],
            len: 0,
        }
    }

    /// Inserts `value` for `hash` unless the hash is there already; returns the value kept.
    pub fn insert(&mut self, hash: u64, value: u32) -> u32 {
        if (self.len + 1) * 10 > self.hashes.len() * 7 {
            self.grow();
        }
        let mask = self.hashes.len() - 1;
        let mut at = (hash as usize) & mask;
        loop {
            match self.hashes[at] {
                0 => {
                    self.hashes[at] = hash;
                    self.values[at] = value;
                    self.len += 1;
                    return value;
                }
                h if h == hash => return self.values[at],
                _ => at = (at + 1) & mask,
            }
        }
    }

    #[inline]
    pub fn get(&self, hash: u64) -> Option<u32> {
        probe(self.hashes.len(), hash, |at| self.hashes[at]).map(|at| self.values[at])
    }

    fn grow(&mut self) {
        let hashes = std::mem::take(&mut self.hashes);
        let values = std::mem::take(&mut self.values);
        *self = WordTable::with_capacity(hashes.len().max(8));
        for (hash, value) in hashes.into_iter().zip(values).filter(|&(h, _)| h != 0) {
            self.insert(hash, value);
        }
    }

    /// The table as [`FrozenTable`] reads it: every slot's hash (8 bytes, little-endian),
    /// then every slot's value (4 bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.hashes.len() * 12);
        for hash in &self.hashes {
            out.extend_from_slice(&hash.to_le_bytes());
        }
        for value in &self.values {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out
    }
}

/// A [`WordTable`] written out by [`WordTable::to_bytes`] and compiled in: looked up where it
/// lies, nothing built at start.
#[derive(Clone, Copy)]
pub struct FrozenTable {
    bytes: &'static [u8],
    slots: usize,
}

impl FrozenTable {
    pub const fn new(bytes: &'static [u8]) -> FrozenTable {
        FrozenTable {
            bytes,
            slots: bytes.len() / 12,
        }
    }

    #[inline]
    pub fn get(&self, hash: u64) -> Option<u32> {
        let at = probe(self.slots, hash, |at| u64_at(self.bytes, at))?;
        Some(u32_at(&self.bytes[self.slots * 8..], at))
    }
}

/// The little-endian `u64` number `at` of `bytes`.
#[inline]
pub fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[at * 8..at * 8 + 8]);
    u64::from_le_bytes(word)
}

/// The little-endian `u32` number `at` of `bytes`.
#[inline]
pub fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[at * 4..at * 4 + 4]);
    u32::from_le_bytes(word)
}
