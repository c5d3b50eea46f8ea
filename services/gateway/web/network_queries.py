"""The GraphQL documents of the coordinator's network pages: links with other networks, the
organizations' members, the introductions made."""

LINKS = """query AppLinks($n: ID!) { network(id: $n) { id name
  links { id incoming status note proposedAt acceptedAt endedAt
    otherNetwork { id name region } } } }"""
PROPOSE_LINK = """mutation AppProposeLink($n: ID!, $o: ID!, $note: String!) {
  proposeNetworkLink(networkId: $n, otherNetworkId: $o, note: $note) { id } }"""
LINK_STEPS = {
    step: f"""mutation AppLinkStep($id: ID!) {{ {step}NetworkLink(linkId: $id) {{ id status }} }}"""
    for step in ("accept", "decline", "end")
}
MEMBERS = """query AppMembers($o: ID!) { organization(id: $o) { id name networkId
  members { id name email role } } }"""
REMOVE_MEMBER = """mutation AppRemoveMember($o: ID!, $m: ID!) {
  removeMember(organizationId: $o, memberId: $m) { id } }"""
INTRODUCTIONS = """query AppIntroductions($n: ID!) { organizations(networkId: $n, first: 100) {
  edges { node { id matches(first: 20) { edges { node {
    id status createdAt introducedBy note parties { organizationId name answer } } } } } } } }"""
