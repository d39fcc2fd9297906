package io.multinet.dataplane;

import io.multinet.dataplane.v1.DesiredState;

/** The contract run against the in-memory reference backend. */
class InMemoryBackendContractTest extends DataplaneBackendContract {

  @Override
  protected DataplaneBackend newBackend() {
    return new InMemoryBackend();
  }

  @Override
  protected DesiredState expected(DesiredState desired) {
    return StateModel.of(desired).toState();
  }
}
