/**
 * keepalived 2.2.7's keyword table, block by block.
 *
 * The lists were taken from keepalived 2.2.7 itself: every candidate word (from keepalived.conf(5)
 * and the binary's strings) was written into each block and run through the real
 * `keepalived -t`; a word it did not answer with "Unknown keyword" is a keyword of that block.
 * Keywords are per block on purpose: `priority` is a keyword of vrrp_instance but an unknown
 * keyword inside real_server, exactly as keepalived reports it.
 *
 * Each keyword is one of:
 *  - implemented: keepalived-ts reads it into the typed configuration (build.ts);
 *  - known: keepalived knows it but keepalived-ts does not implement it yet; it is accepted with a
 *    warning naming it and its place, never silently dropped.
 * A word in neither list is an unknown keyword: an error, with a "did you mean" suggestion.
 */

export type BlockName =
  | 'top'
  | 'global_defs'
  | 'vrrp_script'
  | 'vrrp_sync_group'
  | 'vrrp_instance'
  | 'authentication'
  | 'virtual_server'
  | 'real_server'
  | 'TCP_CHECK'
  | 'HTTP_GET'
  | 'SSL_GET'
  | 'url'
  | 'MISC_CHECK'
  | 'SMTP_CHECK'
  | 'SMTP_CHECK.host'
  | 'DNS_CHECK'
  | 'UDP_CHECK'
  | 'PING_CHECK'
  | 'FILE_CHECK'
  | 'BFD_CHECK'
  | 'track_file'
  | 'vrrp_track_process'
  | 'garp_group'
  | 'bfd_instance'
  | 'track_group'
  | 'SSL';

export interface KeywordInfo {
  /** True when keepalived-ts reads it; false when only keepalived knows it (warning). */
  implemented: boolean;
  /** The keyword opens a block of further keywords, checked against this block's table. */
  block?: BlockName;
  /** The keyword opens a list block: each line inside is data (an address, a name, ...). */
  list?: boolean;
}

export type KeywordTable = Readonly<Record<BlockName, Readonly<Record<string, KeywordInfo>>>>;

interface BlockSpec {
  /** Keywords we implement, space separated. */
  impl: string;
  /** Keywords keepalived 2.2.7 knows that we do not implement yet. */
  known?: string;
  /** Keywords opening a keyword block. */
  blocks?: Record<string, BlockName>;
  /** Keywords opening a list block. */
  lists?: string;
  /** Block or list keywords (of `blocks`/`lists`) that we do not implement. */
  knownBlocks?: string;
}

function words(s: string | undefined): string[] {
  return s ? s.split(/\s+/).filter((w) => w.length > 0) : [];
}

function block(spec: BlockSpec): Record<string, KeywordInfo> {
  const out: Record<string, KeywordInfo> = Object.create(null);
  for (const w of words(spec.impl)) out[w] = { implemented: true };
  for (const w of words(spec.known)) out[w] = { implemented: false };
  const notImpl = new Set(words(spec.knownBlocks));
  for (const [w, b] of Object.entries(spec.blocks ?? {})) out[w] = { implemented: !notImpl.has(w), block: b };
  for (const w of words(spec.lists)) out[w] = { implemented: !notImpl.has(w), list: true };
  return out;
}

/** Options every connecting checker shares (keepalived.conf(5), "generic connection options"). */
const CHECKER_COMMON =
  'connect_ip connect_port bindto bind_port bind_if connect_timeout retry delay_before_retry delay_loop warmup fwmark alpha';
const CHECKER_COMMON_KNOWN = 'log_all_failures';

export const KEYWORDS: KeywordTable = {
  top: block({
    impl: '',
    known: 'child_wait_time instance linkbeat_use_polling namespace_with_ipsets net_namespace net_namespace_ipvs use_pid_dir',
    blocks: {
      global_defs: 'global_defs',
      vrrp_script: 'vrrp_script',
      vrrp_sync_group: 'vrrp_sync_group',
      vrrp_instance: 'vrrp_instance',
      virtual_server: 'virtual_server',
      track_file: 'track_file',
      vrrp_track_file: 'track_file',
      vrrp_track_process: 'vrrp_track_process',
      garp_group: 'garp_group',
      bfd_instance: 'bfd_instance',
      track_group: 'track_group',
      SSL: 'SSL',
    },
    lists:
      'static_ipaddress static_routes static_rules virtual_server_group linkbeat_interfaces interface_up_down_delays',
    knownBlocks:
      'track_file vrrp_track_file vrrp_track_process garp_group bfd_instance track_group SSL static_rules linkbeat_interfaces interface_up_down_delays',
  }),
  global_defs: block({
    impl:
      'router_id vrrp_version vrrp_mcast_group4 vrrp_mcast_group6 vrrp_strict vrrp_skip_check_adv_addr ' +
      'vrrp_check_unicast_src vrrp_garp_master_delay vrrp_garp_master_repeat vrrp_garp_master_refresh ' +
      'vrrp_garp_master_refresh_repeat vrrp_garp_lower_prio_delay vrrp_garp_lower_prio_repeat vrrp_garp_interval ' +
      'vrrp_gna_interval vrrp_lower_prio_no_advert vrrp_higher_prio_send_advert vrrp_startup_delay vrrp_priority checker_priority ' +
      'script_user enable_script_security notify_fifo notify_fifo_script vrrp_notify_fifo vrrp_notify_fifo_script ' +
      'lvs_notify_fifo lvs_notify_fifo_script notification_email_from smtp_server smtp_helo_name ' +
      'smtp_connect_timeout smtp_alert smtp_alert_vrrp smtp_alert_checker lvs_flush lvs_timeouts lvs_sync_daemon ' +
      // keepalived-ts's own: where the event log lives and how much of it to keep.
      'event_log_dir event_log_max_mb event_log_max_age',
    known:
      'bfd_cpu_affinity bfd_no_swap bfd_priority bfd_process_name bfd_rlimit_rtime bfd_rlimit_rttime bfd_rt_priority ' +
      'checker_cpu_affinity checker_log_all_failures checker_no_swap checker_process_name ' +
      'checker_rlimit_rtime checker_rlimit_rttime checker_rt_priority config_save_dir data_use_instance ' +
      'dbus_service_name default_interface disable_local_igmp dynamic_interfaces enable_dbus enable_snmp_checker ' +
      'enable_snmp_keepalived enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_vrrp enable_traps ' +
      'fifo_write_vrrp_states_on_reload include_check log_unknown_vrids lvs_flush_on_stop lvs_flush_onstop ' +
      'lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force lvs_netlink_monitor_rcv_bufs ' +
      'lvs_netlink_monitor_rcv_bufs_force lvs_process_name max_auto_priority min_auto_priority_delay nftables ' +
      'nftables_counters nftables_ifindex nftables_ipvs nftables_ipvs_priority nftables_ipvs_start_fwmark ' +
      'nftables_priority no_checker_emails no_email_faults process_monitor_rcv_bufs process_monitor_rcv_bufs_force ' +
      'process_name process_names random_seed reload_check_config reload_file reload_repeat reload_time_file ' +
      'rs_init_notifies shutdown_script shutdown_script_timeout snmp_socket startup_script startup_script_timeout ' +
      'tmp_config_directory umask vmac_addr_prefix vmac_prefix vrrp_cpu_affinity vrrp_down_timer_adverts ' +
      'vrrp_garp_extra_if vrrp_iptables vrrp_min_garp vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force ' +
      'vrrp_netlink_monitor_rcv_bufs vrrp_netlink_monitor_rcv_bufs_force vrrp_no_swap vrrp_notify_priority_changes ' +
      'vrrp_process_name vrrp_rlimit_rtime vrrp_rlimit_rttime vrrp_rt_priority vrrp_rx_bufs_multiplier ' +
      'vrrp_rx_bufs_policy vrrp_vmac_garp_intvl',
    lists: 'notification_email',
  }),
  vrrp_script: block({ impl: 'script interval timeout weight rise fall init_fail user' }),
  vrrp_sync_group: block({
    impl:
      'notify notify_backup notify_fault notify_master notify_stop smtp_alert global_tracking sync_group_tracking_weight',
    known: 'notify_priority_changes',
    lists: 'group track_interface track_script track_file track_process track_bfd',
    knownBlocks: 'track_file track_process track_bfd',
  }),
  vrrp_instance: block({
    impl:
      'state interface use_vmac vmac_xmit_base virtual_router_id priority advert_int version nopreempt preempt ' +
      'preempt_delay unicast_src_ip garp_master_delay garp_master_repeat garp_master_refresh ' +
      'garp_master_refresh_repeat garp_lower_prio_delay garp_lower_prio_repeat lower_prio_no_advert ' +
      'higher_prio_send_advert skip_check_adv_addr strict_mode accept no_accept notify notify_master notify_backup ' +
      'notify_fault notify_stop notify_master_rx_lower_pri smtp_alert native_ipv6',
    known:
      'check_unicast_src debug dont_track_primary down_timer_adverts garp_extra_if kernel_rx_buf_size ' +
      'linkbeat_use_polling lvs_sync_daemon_interface mcast_dst_ip mcast_src_ip notify_deleted ' +
      'notify_priority_changes old_unicast_checksum promote_secondaries track_src_ip unicast_fault_no_peer ' +
      'unicast_ttl use_ipvlan use_vmac_addr vrf',
    blocks: { authentication: 'authentication' },
    lists:
      'virtual_ipaddress virtual_ipaddress_excluded virtual_routes virtual_rules track_interface track_script ' +
      'track_file track_process track_bfd unicast_peer',
    knownBlocks: 'virtual_rules track_file track_process track_bfd',
  }),
  authentication: block({ impl: 'auth_type auth_pass' }),
  virtual_server: block({
    impl:
      'delay_loop lb_algo lvs_sched lb_kind lvs_method persistence_timeout persistence_granularity protocol ' +
      'virtualhost sorry_server sorry_server_inhibit sorry_server_lvs_method inhibit_on_failure quorum hysteresis ' +
      'quorum_up quorum_down alpha omega ha_suspend ops flag-1 flag-2 flag-3 sh-port sh-fallback mh-port ' +
      'mh-fallback ip_family',
    known:
      'connect_timeout delay_before_retry retry warmup weight persistence_engine smtp_alert snmp_name',
    blocks: { real_server: 'real_server' },
  }),
  real_server: block({
    impl:
      'weight inhibit_on_failure uthreshold lthreshold lvs_method notify_up notify_down delay_loop alpha retry ' +
      'delay_before_retry warmup',
    known: 'connect_timeout smtp_alert snmp_name virtualhost',
    blocks: {
      TCP_CHECK: 'TCP_CHECK',
      HTTP_GET: 'HTTP_GET',
      SSL_GET: 'SSL_GET',
      MISC_CHECK: 'MISC_CHECK',
      SMTP_CHECK: 'SMTP_CHECK',
      DNS_CHECK: 'DNS_CHECK',
      UDP_CHECK: 'UDP_CHECK',
      PING_CHECK: 'PING_CHECK',
      FILE_CHECK: 'FILE_CHECK',
      BFD_CHECK: 'BFD_CHECK',
    },
    knownBlocks: 'BFD_CHECK',
  }),
  TCP_CHECK: block({ impl: CHECKER_COMMON, known: CHECKER_COMMON_KNOWN }),
  HTTP_GET: block({
    impl: `${CHECKER_COMMON} nb_get_retry virtualhost http_protocol enable_sni`,
    known: `${CHECKER_COMMON_KNOWN} fast_recovery`,
    blocks: { url: 'url' },
  }),
  SSL_GET: block({
    impl: `${CHECKER_COMMON} nb_get_retry virtualhost http_protocol enable_sni`,
    known: `${CHECKER_COMMON_KNOWN} fast_recovery`,
    blocks: { url: 'url' },
  }),
  url: block({
    impl: 'path digest status_code virtualhost regex',
    known: 'regex_max_offset regex_min_offset regex_no_match regex_options regex_stack',
  }),
  MISC_CHECK: block({
    impl: 'alpha delay_before_retry delay_loop retry warmup misc_path misc_timeout misc_dynamic',
    known: 'log_all_failures user',
  }),
  SMTP_CHECK: block({
    impl: `${CHECKER_COMMON} helo_name`,
    known: CHECKER_COMMON_KNOWN,
    blocks: { host: 'SMTP_CHECK.host' },
    knownBlocks: 'host',
  }),
  'SMTP_CHECK.host': block({ impl: '', known: `${CHECKER_COMMON} ${CHECKER_COMMON_KNOWN}` }),
  DNS_CHECK: block({ impl: `${CHECKER_COMMON} type name`, known: CHECKER_COMMON_KNOWN }),
  UDP_CHECK: block({
    impl: `${CHECKER_COMMON} payload require_reply`,
    known: `${CHECKER_COMMON_KNOWN} min_reply_length max_reply_length`,
  }),
  PING_CHECK: block({ impl: CHECKER_COMMON, known: CHECKER_COMMON_KNOWN }),
  FILE_CHECK: block({ impl: 'track_file', known: 'weight' }),
  BFD_CHECK: block({ impl: '', known: 'alpha name' }),
  track_file: block({ impl: '', known: 'file init_file weight' }),
  vrrp_track_process: block({
    impl: '',
    known: 'delay fork_delay full_command param_match process quorum quorum_max terminate_delay weight',
  }),
  garp_group: block({ impl: '', known: 'garp_interval gna_interval interface', lists: 'interfaces', knownBlocks: 'interfaces' }),
  bfd_instance: block({
    impl: '',
    known: 'checker hoplimit idle_tx max_hops min_rx min_tx multiplier neighbor_ip neighbour_ip passive source_ip ttl vrrp weight',
  }),
  track_group: block({ impl: '', lists: 'group', knownBlocks: 'group' }),
  SSL: block({ impl: '', known: 'password ca certificate key' }),
};

/** The keyword's entry in one block, or undefined when keepalived does not know it there. */
const MAPS = new Map<BlockName, Map<string, KeywordInfo>>(
  (Object.keys(KEYWORDS) as BlockName[]).map((b) => [b, new Map(Object.entries(KEYWORDS[b]))]),
);

export function lookupKeyword(blockName: BlockName, keyword: string): KeywordInfo | undefined {
  return MAPS.get(blockName)?.get(keyword);
}

/** Every block in which keepalived knows this keyword (for "belongs in ..." hints). */
export function blocksKnowing(keyword: string): BlockName[] {
  return (Object.keys(KEYWORDS) as BlockName[]).filter((b) => lookupKeyword(b, keyword) !== undefined);
}

/** Human name of a block for messages. */
export function blockLabel(b: BlockName): string {
  if (b === 'top') return 'the top level';
  if (b === 'SMTP_CHECK.host') return 'SMTP_CHECK host';
  return b;
}
