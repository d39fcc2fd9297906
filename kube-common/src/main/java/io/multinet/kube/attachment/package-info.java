/** Pods' network attachments, read from the multus network-status annotation. */
@NullMarked
package io.multinet.kube.attachment;

import org.jspecify.annotations.NullMarked;
