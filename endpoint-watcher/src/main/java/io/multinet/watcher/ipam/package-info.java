/** Per-network cluster IP allocation, one claim object per address (after KEP-1880). */
@NullMarked
package io.multinet.watcher.ipam;

import org.jspecify.annotations.NullMarked;
