// MQTT.js, loaded with require() (src/require-cjs.ts says why), for this folder's two clients.
import type * as Mqtt from 'mqtt';
import { requireCjs } from '../require-cjs.ts';

export const mqtt = requireCjs('mqtt') as typeof Mqtt;
