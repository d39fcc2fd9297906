/** The custom resources the controller reads and writes, as fabric8 types. */
@NullMarked
package io.multinet.kube.crd;

import org.jspecify.annotations.NullMarked;
