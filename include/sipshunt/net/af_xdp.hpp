// Control plane. The net_af_xdp PMD's memory: it registers an mbuf pool with the kernel as the
// XDP socket's UMEM (received frames land in mbufs, transmitted mbufs leave without a copy in
// the PMD), so an AF_XDP port gets a pool of its own, built to the kernel's UMEM rules.
#pragma once

#include <cstdint>
#include <string>

#include "sipshunt/common/result.hpp"

struct rte_mempool;

namespace sipshunt::net {

// Bytes of mbuf data room in an AF_XDP pool: the largest for which a whole mempool object
// (object header, rte_mbuf, private area, data room, trailer) fits one page, the UMEM chunk limit
// of the kernel. Frames arrive 384 bytes into it (DPDK's headroom and XDP_PACKET_HEADROOM).
[[nodiscard]] std::uint16_t af_xdp_data_room() noexcept;

// The largest Ethernet frame (no FCS) an AF_XDP port receives: the data room less those 384 bytes.
[[nodiscard]] std::uint16_t af_xdp_max_frame() noexcept;

// Mbufs for an AF_XDP port of `queues` queue pairs: each queue's fill and completion rings
// (2048 each, fixed by the PMD), its rx and tx rings, and what the workers hold, as 2^n - 1.
[[nodiscard]] std::uint32_t af_xdp_pool_size(std::uint16_t queues, std::uint16_t rx_ring, std::uint16_t tx_ring) noexcept;

// The pool for one AF_XDP port (see README of src/dataplane, "AF_XDP ports"): page-sized
// objects, one virtually contiguous memory chunk (the PMD registers [first object, first object
// + count x object size) as the UMEM). Fails with what to change when DPDK cannot build it so.
[[nodiscard]] Result<rte_mempool*> create_af_xdp_pool(const std::string& name, std::uint32_t count);

}  // namespace sipshunt::net
