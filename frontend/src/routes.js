// The SPA's one route table. Pages receive the matched params as `params`.
import Organizers from './pages/Organizers.svelte';
import Settings from './pages/Settings.svelte';

/** @type {{path: string, component: any, title: string}[]} */
export const routes = [
  { path: '/', component: Organizers, title: 'Organizers' },
  { path: '/settings', component: Settings, title: 'Settings' },
];
