//! Laying the six partitions out over one arena: the board's static heap and the host
//! runner's leaked one are cut by this same function, from the same sizes (a deployment
//! manifest's `[partitions]`), so the two heaps have the same partitions.

use core::{fmt, mem::MaybeUninit};

use super::{PartitionId, PartitionedHeap, Region, SetupError};

/// Why the partitions could not be laid out (the deployment's memory plan is at fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// They add up to more than the arena holds: shrink a partition or grow the arena.
    TooBig {
        /// Their sum, bytes.
        wanted: usize,
        /// The arena's size, bytes.
        arena: usize,
    },
    /// A partition was refused (too small for a heap, or laid out twice).
    Partition(PartitionId, SetupError),
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooBig { wanted, arena } => write!(
                f,
                "the partitions add up to {wanted} bytes; the heap has {arena}"
            ),
            Self::Partition(id, SetupError::AlreadyAdded) => {
                write!(f, "partition {id} was already laid out")
            }
            Self::Partition(id, SetupError::RegionTooSmall) => {
                write!(f, "partition {id} is too small to hold a heap")
            }
        }
    }
}

impl core::error::Error for LayoutError {}

impl PartitionedHeap {
    /// Lays out the partitions, P1 to P6, `sizes` bytes each, one after the other at the start
    /// of `arena` (what is left over stays unused).
    pub fn lay_out(
        &self,
        arena: &'static mut [MaybeUninit<u8>],
        sizes: [usize; 6],
    ) -> Result<(), LayoutError> {
        let wanted = sizes.iter().sum();
        if wanted > arena.len() {
            return Err(LayoutError::TooBig {
                wanted,
                arena: arena.len(),
            });
        }
        let mut rest = arena;
        for (id, size) in PartitionId::ALL.into_iter().zip(sizes) {
            let (region, tail) = rest.split_at_mut(size);
            rest = tail;
            self.add_partition(id, Region::new(region))
                .map_err(|e| LayoutError::Partition(id, e))?;
        }
        Ok(())
    }
}
