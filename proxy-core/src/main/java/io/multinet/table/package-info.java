/**
 * The per-node service table and its hot lookup path: {@link io.multinet.table.ServiceTable}
 * (immutable snapshot, open-addressing index), {@link io.multinet.table.ServiceEntry} (backend
 * choice, random or {@link io.multinet.table.Maglev}), {@link io.multinet.table.FlowHash} and
 * {@link io.multinet.table.ServiceTableHolder} (the one volatile reference).
 */
@NullMarked
package io.multinet.table;

import org.jspecify.annotations.NullMarked;
