import { onPath } from './installed';

// Every test file (and the processes it starts) sees replwatch installed on PATH.
onPath();
