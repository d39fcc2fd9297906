package io.multinet.dataplane.kernel;

/** nft refused a batch; nothing of it was applied. The message is nft's own error text. */
public final class NftException extends Exception {

  private static final long serialVersionUID = 1L;

  NftException(String message) {
    super(message);
  }
}
