package io.multinet.table;

import static java.util.Objects.requireNonNull;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The one volatile reference through which a node's current {@link ServiceTable} is published.
 * Readers call {@link #current()} once per packet and use that snapshot throughout; the single sync
 * thread calls {@link #publish}. Readers never lock or allocate.
 */
public final class ServiceTableHolder {

  private static final VarHandle CURRENT;

  static {
    try {
      CURRENT =
          MethodHandles.lookup()
              .findVarHandle(ServiceTableHolder.class, "current", ServiceTable.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("UnusedVariable") // written and read through CURRENT
  private volatile ServiceTable current;

  public ServiceTableHolder(ServiceTable initial) {
    this.current = requireNonNull(initial, "initial");
  }

  public ServiceTable current() {
    return current;
  }

  /** Publishes {@code next} and returns what changed from the table it replaced. */
  public TableDiff publish(ServiceTable next) {
    requireNonNull(next, "next");
    ServiceTable previous = (ServiceTable) CURRENT.getAndSet(this, next);
    return ServiceTable.diff(previous, next);
  }
}
