// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap2_slab - will-it-scale's mmap2 (map a 128 MiB file, unmap it,
 * repeat; no page touched) with the slab traffic of the kernel's
 * mmap/munmap, against the in-tree allocator.  One iteration = one mmap +
 * munmap of one mapping.  The linux-mm figures this case is compared
 * with: mmap2 at 64/128/192 processes on 2 sockets x 2 nodes (pre-sheaves
 * -> 6.19-rc5 +31.5/+34.3/+35.4 %, -> 7.0 -1.2/-1.3/-4.2 %).
 *
 * The traffic is page_fault3_slab's mmap and munmap, which this file
 * compiles with no faults (PF_MMAP2): per cycle, from mm/vma.c
 * (__mmap_region -> __mmap_new_vma, do_vmi_align_munmap ->
 * vms_gather_munmap_vmas / vms_complete_munmap_vmas), mm/vma_init.c and
 * lib/maple_tree.c:
 *  - vm_area_struct: one kmem_cache_alloc (vm_area_alloc) and one
 *    kmem_cache_free (remove_vma -> vm_area_free; SLAB_TYPESAFE_BY_RCU,
 *    sheaf_capacity 32 since 6.18);
 *  - maple_node (256 B, sheaf_capacity 32 since 6.18): the mmap store and
 *    the munmap clear each a request of nodes + spare (1: a node store in
 *    the RCU-mode mm tree, since 6.18 one kmem_cache_alloc kept in the
 *    maple state; more take a prefilled sheaf), the replaced nodes
 *    kfree_rcu()'d (ma_free_rcu), and the detached tree's one node
 *    allocated at munmap and freed by __mt_destroy() after the unlock;
 *  - nothing else: a MAP_SHARED file mapping links into the file's
 *    i_mmap interval tree (no allocation), anon_vma comes only with a
 *    write fault of a private mapping, perf_event_mmap() allocates only
 *    when mmap events are being recorded, the page tables only when a
 *    page is touched.
 * Before 6.18 (cpuslab) the maple tree preallocated with
 * kmem_cache_alloc/_bulk and gave back with kmem_cache_free_bulk.
 *
 * Parameters and metrics: page_fault3_slab's (cases/README.md), with
 * pages 0 (no faults), fault_work and zap_work unused.
 */
#define PF_MMAP2
#include "page_fault3_slab.c"
