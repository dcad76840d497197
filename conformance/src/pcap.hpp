// SPDX-License-Identifier: GPL-2.0-or-later
// The --pcap evidence capture (pcapng through libwiretap's dump API).
#pragma once

#include <string>
#include <vector>

#include "model.hpp"

namespace vsm::conform {

bool pcap_available();
// Writes every message of every result, in order, as TCP or SCTP (sctp); false with `error` set on failure.
bool write_pcap(const std::string& path, const std::vector<Result>& results, bool sctp, std::string& error);

}  // namespace vsm::conform
