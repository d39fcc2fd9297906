/** Pods' network attachments, read from the multus network-status annotation. */
@NullMarked
package io.multinet.watcher.attachment;

import org.jspecify.annotations.NullMarked;
