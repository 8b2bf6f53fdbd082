// tfjs-core's Node bundle registers no gradients; loading tfjs-layers registers all of them.
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { env } from '@tensorflow/tfjs-core';

// PROD silences TF.js's console advice to install tfjs-node (which cannot install here; `native` replaces it).
env().set('PROD', true);
