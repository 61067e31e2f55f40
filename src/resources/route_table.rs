//! The VPC's route tables (read only): which table each subnet uses and where its default
//! route (`0.0.0.0/0`) goes, and the routes of its gateway endpoints.

use aws_sdk_ec2::types::{Filter, Route, RouteState};
use aws_sdk_ec2::Client;

use super::required;
use crate::error::{Every, Result};

/// A route table as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    /// Its id.
    pub id: String,
    /// Whether it is the VPC's main table: the one of every subnet without an explicit
    /// association (EC2 DescribeRouteTables reference).
    pub main: bool,
    /// Subnets explicitly associated with it.
    pub subnet_ids: Vec<String>,
    /// Where `0.0.0.0/0` goes, if it has such a route.
    pub default_route: Option<DefaultRoute>,
    /// (prefix list, gateway endpoint) of each route a gateway endpoint put in the table
    /// (VPC User Guide, "Gateway endpoints": a route whose destination is the service's prefix
    /// list and whose target is the endpoint).
    pub endpoint_routes: Vec<(String, String)>,
}

/// The target of a default route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultRoute {
    /// The target's id (`igw-…`, `nat-…`, `tgw-…`, `vgw-…`, `eni-…`, `i-…`, `pcx-…`, …) or
    /// ARN (a Cloud WAN core network).
    pub target: String,
    /// False if the route is a blackhole (its target was deleted).
    pub active: bool,
}

const KIND: &str = "route table";

/// Every route table of `vpc_id`.
pub async fn find_all_in(ec2: &Client, vpc_id: &str) -> Result<Vec<RouteTable>> {
    let listed: Vec<_> = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .into_paginator()
        .items()
        .send()
        .every(format!("reading route tables of VPC ({vpc_id})"))
        .await?;
    listed
        .iter()
        .map(|t| {
            let associations = t.associations();
            Ok(RouteTable {
                id: required(t.route_table_id(), KIND, "routeTableId")?,
                main: associations.iter().any(|a| a.main() == Some(true)),
                subnet_ids: associations
                    .iter()
                    .filter_map(|a| a.subnet_id().map(str::to_string))
                    .collect(),
                default_route: t
                    .routes()
                    .iter()
                    .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
                    .and_then(default_route),
                endpoint_routes: t
                    .routes()
                    .iter()
                    .filter_map(|r| {
                        let endpoint = r.gateway_id().filter(|g| g.starts_with("vpce-"))?;
                        Some((
                            r.destination_prefix_list_id()?.to_string(),
                            endpoint.to_string(),
                        ))
                    })
                    .collect(),
            })
        })
        .collect()
}

fn default_route(r: &Route) -> Option<DefaultRoute> {
    let target = [
        r.nat_gateway_id(),
        r.gateway_id(),
        r.transit_gateway_id(),
        r.network_interface_id(),
        r.instance_id(),
        r.vpc_peering_connection_id(),
        r.carrier_gateway_id(),
        r.local_gateway_id(),
        r.core_network_arn(),
    ]
    .into_iter()
    .flatten()
    .next()?;
    Some(DefaultRoute {
        target: target.to_string(),
        active: r.state() != Some(&RouteState::Blackhole),
    })
}
