export { startControlPlane, kubeconfigYaml, CONTROLLERS, type ControlPlane } from './control-plane.ts';
export { startMinio, MINIO_ROLES, type MinioServer, type MinioCredentials, type MinioRole } from './minio.ts';
export { startPodExecutor, resolveCommand, podLogPath, type PodExecutor } from './pod-executor.ts';
export {
  binary,
  binDir,
  freePort,
  portBand,
  logTail,
  portFree,
  startProcess,
  supervise,
  waitFor,
  type Managed,
  type Supervised,
} from './processes.ts';
export { startArgoCd, initConfigRepo, argocdConfigMap, ARGOCD_NAMESPACE, type ArgoCd } from './argocd.ts';
