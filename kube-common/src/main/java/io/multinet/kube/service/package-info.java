/**
 * Which network a Service belongs to: its annotations, its namespace's default, or the default
 * network.
 */
@NullMarked
package io.multinet.kube.service;

import org.jspecify.annotations.NullMarked;
